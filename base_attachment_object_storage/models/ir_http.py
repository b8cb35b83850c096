from odoo import models
from werkzeug.wrappers import Response

from odoo_cloud.errors import StorageUnavailable
from odoo_cloud.unavailable_page import mark_unavailable

from .ir_attachment import UNAVAILABLE, ObjectStorageUnavailable


def _is_storage_outage(exception):
    """Whether ``exception`` comes from an object store that does not answer:
    a download refused, or a save that failed (a user error Odoo would answer
    with 200 or 400)."""
    return isinstance(exception, ObjectStorageUnavailable) or isinstance(
        exception.__cause__, StorageUnavailable
    )


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _handle_error(cls, exception):
        """While the object store does not answer, answer 503: a JSON request
        keeps Odoo's error body, which the web client shows in a dialog (it
        takes only a 502 or a body that is not JSON for a lost connection);
        any other gets the outage page."""
        response = super()._handle_error(exception)
        if not _is_storage_outage(exception):
            return response
        if isinstance(response, Response) and response.mimetype == "application/json":
            return mark_unavailable(response)
        return UNAVAILABLE
