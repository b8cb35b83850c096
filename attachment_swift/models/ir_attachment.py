from odoo import api, models


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    @api.model
    def _object_storage_schemes(self):
        return [*super()._object_storage_schemes(), "swift"]
