"""A managed identity endpoint on loopback, as App Service and Azure Functions
give one: azure-identity's ``DefaultAzureCredential`` asks it for Microsoft
Entra ID access tokens when ``IDENTITY_ENDPOINT`` and ``IDENTITY_HEADER`` are
set.

Its tokens are what Azurite's ``--oauth basic`` mode checks: an issuer of
Entra ID, a storage audience and a lifetime; like the real endpoint, it
answers only a request carrying the header's secret.
"""

import base64
import json
import secrets
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .process import HOST

TOKEN_LIFETIME = 3600


def _segment(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def access_token(audience, tenant, lifetime=TOKEN_LIFETIME):
    """A JWT with Entra ID's claims for ``audience``; its signature is not
    one (Azurite's basic mode does not check it)."""
    now = int(time.time())
    header = {"alg": "RS256", "typ": "JWT"}
    claims = {
        "aud": audience,
        "iss": f"https://sts.windows.net/{tenant}/",
        "tid": tenant,
        "oid": str(uuid.uuid4()),
        "iat": now,
        "nbf": now - 60,
        "exp": now + lifetime,
    }
    parts = [json.dumps(part).encode() for part in (header, claims)]
    return ".".join([*map(_segment, parts), _segment(secrets.token_bytes(32))])


class ManagedIdentityEndpoint:
    """The endpoint, in a thread; :attr:`requests` counts the tokens asked."""

    def __init__(self):
        self.secret = secrets.token_hex(16)
        self.tenant = str(uuid.uuid4())
        self.requests = 0
        self._server = ThreadingHTTPServer((HOST, 0), self._handler())
        self.url = f"http://{HOST}:{self._server.server_port}/msi/token"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def environ(self):
        """The variables that point azure-identity at this endpoint."""
        return {"IDENTITY_ENDPOINT": self.url, "IDENTITY_HEADER": self.secret}

    def _handler(self):
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.headers.get("X-IDENTITY-HEADER") != endpoint.secret:
                    self._answer(401, {"error": "missing or wrong X-IDENTITY-HEADER"})
                    return
                resource = parse_qs(urlsplit(self.path).query).get("resource", [""])[0]
                endpoint.requests += 1
                self._answer(
                    200,
                    {
                        "access_token": access_token(resource, endpoint.tenant),
                        "expires_on": str(int(time.time()) + TOKEN_LIFETIME),
                        "resource": resource,
                        "token_type": "Bearer",
                    },
                )

            def _answer(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        return Handler

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
