"""What a request gets while a store Odoo needs does not answer: HTTP 503.

A person gets a small page that needs nothing more from the server, which
could not serve it: inline style, no script, stylesheet, image or link. A
request that sends JSON (JSON-RPC, Odoo 19's JSON-2 API) gets one line of
text, which Odoo's web client takes for a lost connection and retries. Both
carry ``Retry-After`` and are never cached: the outage is over in a moment.
"""

import html

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


def sends_json(environ):
    """Whether the request's body is JSON, as Odoo's JSON dispatchers read it."""
    content_type = environ.get("CONTENT_TYPE") or ""
    return content_type.split(";")[0].strip().lower() in JSON_MIMETYPES


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
        content_type, text = self._content(environ)
        body = text.encode()
        start_response(
            "503 Service Unavailable",
            [
                ("Content-Type", f"{content_type}; charset=utf-8"),
                ("Content-Length", str(len(body))),
                ("Retry-After", str(RETRY_AFTER_SECONDS)),
                ("Cache-Control", "no-store"),
            ],
        )
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]
