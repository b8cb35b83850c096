"""What a request gets while Redis is unreachable: a short 503."""

import logging

from werkzeug.wrappers import Response

from odoo_cloud.sessions import SessionStoreUnavailable

BODY = "Service unavailable: the session store does not answer. Retry shortly.\n"


class RedisUnavailable(SessionStoreUnavailable):
    """Raised by the store; ``odoo.http.Application`` answers it with
    ``error_response`` and logs it at ``loglevel``, without a traceback. The
    store has already logged the outage once, at ERROR."""

    loglevel = logging.DEBUG

    @property
    def error_response(self):
        return Response(
            BODY,
            status=503,
            content_type="text/plain; charset=utf-8",
            headers={"Retry-After": "5"},
        )

    @error_response.setter
    def error_response(self, response):
        """Ignore the response Odoo's dispatchers assign (a JSON-RPC route
        would answer 200 with an error object): an outage stays a 503."""
