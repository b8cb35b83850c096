from odoo import models

from odoo_cloud.errors import StorageUnavailable
from odoo_cloud.unavailable_page import unavailable_response

from .ir_attachment import ObjectStorageUnavailable


def _storage_outage(exception):
    """The object store outage ``exception`` reports, or None: a download
    refused, or a save that failed (a user error Odoo would answer with 200
    or 400) because the store does not answer."""
    if isinstance(exception, ObjectStorageUnavailable):
        return exception
    if isinstance(exception.__cause__, StorageUnavailable):
        return exception.__cause__
    return None


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _handle_error(cls, exception):
        """While the object store does not answer, answer 503: a JSON request
        keeps Odoo's error body, which the web client shows in a dialog (it
        takes only a 502 or a body that is not JSON for a lost connection);
        any other gets the outage page."""
        response = super()._handle_error(exception)
        outage = _storage_outage(exception)
        if outage is None:
            return response
        return unavailable_response(outage, response)
