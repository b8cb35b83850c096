import logging

from odoo import http
from odoo.http import request

_logger = logging.getLogger(__name__)


class LoggingJsonProbe(http.Controller):
    @http.route("/logging_json_probe/fail", type="http", auth="none")
    def fail(self):
        raise ValueError("the probe failed on purpose")

    @http.route("/logging_json_probe/log", type="http", auth="none")
    def log(self, password="", note=""):
        """What careless code logs: a password, the raw request headers."""
        _logger.info("probe login attempt with password=%s", password)
        _logger.info("probe headers: %s", dict(request.httprequest.headers))
        _logger.info("probe note: %s", note)
        return "logged"
