"""What a request gets while Redis is unreachable: a 503, a page for a
person and a line of text for a JSON client."""

import logging

from odoo_cloud.errors import SessionStoreUnavailable
from odoo_cloud.unavailable_page import unavailable_response


class RedisUnavailable(SessionStoreUnavailable):
    """Raised by the store; ``odoo.http.Application`` answers it with
    ``error_response`` and logs it at ``loglevel``, without a traceback. The
    store has already logged the outage once, at ERROR."""

    loglevel = logging.DEBUG

    @property
    def error_response(self):
        return unavailable_response(self)

    @error_response.setter
    def error_response(self, response):
        """Ignore the response Odoo's dispatchers assign (a JSON-RPC route
        would answer 200 with an error object): an outage stays a 503."""
