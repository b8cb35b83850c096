"""What a request gets while a store Odoo needs does not answer: HTTP 503.

:func:`unavailable_response` is the answer to an
:class:`~odoo_cloud.errors.Unavailable`, whoever raised it. A person gets a
small page that needs nothing more from the server, which could not serve
it: inline style, no script, stylesheet, image or link. A request that sends
JSON (JSON-RPC, Odoo 19's JSON-2 API) gets one line of text, which Odoo's web
client takes for a lost connection and retries, or else Odoo's own JSON
error, which it shows. Each carries ``Retry-After`` and is never cached: the
outage is over in a moment.
"""

import contextlib
import html
import http

RETRY_AFTER_SECONDS = 5
JSON_MIMETYPES = ("application/json", "application/json-rpc")

PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Service unavailable</title>
<style>
body {{ margin: 0; background: #f3f4f6; color: #374151;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }}
main {{ max-width: 32rem; margin: 15vh auto; padding: 2rem; background: #fff;
  border-radius: .5rem; box-shadow: 0 1px 3px rgba(0, 0, 0, .15); }}
h1 {{ margin: 0 0 1rem; font-size: 1.5rem; color: #111827; }}
small {{ color: #6b7280; }}
</style>
</head>
<body>
<main>
<h1>Service unavailable</h1>
<p>The service is unavailable for a moment and will be back shortly.
Please reload this page in a few seconds.</p>
<p><small>Reason: {reason} does not answer.</small></p>
</main>
</body>
</html>
"""
TEXT = "Service unavailable: {reason} does not answer. Retry shortly.\n"
# A body larger than this is not read to be refused: its connection is reset.
DISCARD_LIMIT = 64 * 1024 * 1024
DISCARD_CHUNK = 1024 * 1024
# Every 503 of an outage: when to come back, and never from a cache.
HEADERS = (
    ("Retry-After", str(RETRY_AFTER_SECONDS)),
    ("Cache-Control", "no-store"),
)


def sends_json(environ):
    """Whether the request's body is JSON, as Odoo's JSON dispatchers read it."""
    content_type = environ.get("CONTENT_TYPE") or ""
    return content_type.split(";")[0].strip().lower() in JSON_MIMETYPES


def discard_unread_body(environ):
    """Read what is left of the request's body, up to :data:`DISCARD_LIMIT`.

    An outage is often met before the body is read (the session is loaded
    first). Odoo would then close the connection with the body unread, which
    resets it: a proxy still forwarding that body (HAProxy) loses the 503
    with it, and closes its client's connection without an answer.
    ``werkzeug.request``, Odoo's request, knows how much was read already.
    """
    request = environ.get("werkzeug.request")
    if request is None or (request.content_length or 0) > DISCARD_LIMIT:
        return
    # The client may go away meanwhile: werkzeug's stream then raises
    # ClientDisconnected, a BadRequest, and the answer goes nowhere anyway.
    with contextlib.suppress(Exception):
        while request.stream.read(DISCARD_CHUNK):
            pass


class UnavailableResponse:
    """A WSGI application answering 503 because ``reason`` (for instance
    "the session store") does not answer."""

    def __init__(self, reason):
        self.reason = reason

    def _content(self, environ):
        """(content type, text) for the request."""
        if sends_json(environ):
            return "text/plain", TEXT.format(reason=self.reason)
        return "text/html", PAGE.format(reason=html.escape(self.reason))

    def __call__(self, environ, start_response):
        discard_unread_body(environ)
        content_type, text = self._content(environ)
        body = text.encode()
        start_response(
            "503 Service Unavailable",
            [
                ("Content-Type", f"{content_type}; charset=utf-8"),
                ("Content-Length", str(len(body))),
                *HEADERS,
            ],
        )
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]


def unavailable_response(error, odoo_response=None):
    """The WSGI application answering ``error``, an
    :class:`~odoo_cloud.errors.Unavailable`, with a 503 naming its store.

    ``odoo_response`` is the answer Odoo made of the error, when the caller
    wants its JSON body kept: a JSON-RPC error object, which the web client
    shows in a dialog. Any other answer, or none, gives way to the page (the
    line of text for a JSON request).
    """
    if getattr(odoo_response, "mimetype", None) == "application/json":
        odoo_response.status_code = 503
        odoo_response.headers.update(HEADERS)
        return odoo_response
    return UnavailableResponse(error.service)


def raw_response(status, reason):
    """The outage page as a whole HTTP response with ``status`` (the bytes a
    proxy such as HAProxy sends for the errors it answers itself)."""
    body = PAGE.format(reason=html.escape(reason)).encode()
    headers = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Length", str(len(body))),
        *HEADERS,
        ("Connection", "close"),
    ]
    head = f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers)
    return f"{head}\r\n".encode() + body
