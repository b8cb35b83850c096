"""Downloads answered by the object store instead of the Odoo worker.

Once Odoo has checked access and built its response, a large private download
may leave the worker: the browser is redirected to a short-lived signed URL of
the store (``signed-url``), or nginx fetches that URL itself
(``x-accel-redirect``). The signed URL carries the Content-Type and
Content-Disposition of Odoo's response, so the user gets the same file.
"""

import urllib.parse

OFF = "off"
SIGNED_URL = "signed-url"
X_ACCEL_REDIRECT = "x-accel-redirect"
# A 304 or an error stays Odoo's answer; 206 is a Range request, which the
# store answers too.
OFFLOADED_STATUSES = (200, 206)


def offloaded(config, method, status, size, public, max_age):
    """True when the download answered ``status`` may be served by the store.

    Never for public content nor a response the browser may cache
    (``max_age``: an immutable ``unique`` URL, ...): a redirect to a URL that
    expires must not be cached in its place. Only GET: a signed URL is signed
    for it, and a HEAD costs Odoo nothing.
    """
    return (
        config["ATTACHMENT_STORAGE_REDIRECT"] != OFF
        and method == "GET"
        and status in OFFLOADED_STATUSES
        and size >= config["ATTACHMENT_STORAGE_REDIRECT_MIN_SIZE"]
        and not public
        and not max_age
    )


def x_accel_path(location, signed_url):
    """The internal URI nginx proxies to ``signed_url`` from:
    ``<location><scheme>/<host>/<path>?<query>``."""
    url = urllib.parse.urlsplit(signed_url)
    path = f"{location.rstrip('/')}/{url.scheme}/{url.netloc}{url.path}"
    return f"{path}?{url.query}" if url.query else path
