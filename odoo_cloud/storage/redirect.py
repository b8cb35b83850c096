"""Downloads answered by the object store instead of the Odoo worker.

Once Odoo has checked access and built its response, a large private download
may leave the worker: the browser is redirected to a short-lived signed URL of
the store (``signed-url``), or nginx fetches that URL itself
(``x-accel-redirect``). The signed URL carries the Content-Type and
Content-Disposition of Odoo's response, so the user gets the same file.

Odoo's answer to ``X-Accel-Redirect`` has no body: only the proxy in front
gives it one. Such an answer is given only to a request that proxy passed
on, which it marks with :data:`PROXY_HEADER`; any other request (Odoo reached
directly, or through a proxy that does not serve the location) gets the
download from Odoo, never an empty file.
"""

import urllib.parse

OFF = "off"
SIGNED_URL = "signed-url"
X_ACCEL_REDIRECT = "x-accel-redirect"
# A 304 or an error stays Odoo's answer; 206 is a Range request, which the
# store answers too.
OFFLOADED_STATUSES = (200, 206)
# Set by the proxy serving X-Accel-Redirect on each request it passes to Odoo:
# the internal location it serves them from (ATTACHMENT_STORAGE_REDIRECT_LOCATION).
PROXY_HEADER = "X-Object-Storage-Location"


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


def proxy_problem(config, proxy_header):
    """Why an ``X-Accel-Redirect`` answer to a request carrying
    ``proxy_header`` (:data:`PROXY_HEADER`, or None) would reach the user
    empty; None when the proxy in front serves the configured location."""
    location = config["ATTACHMENT_STORAGE_REDIRECT_LOCATION"]
    if proxy_header is None:
        return (
            f"the request did not come through a proxy serving {location} "
            f"(no {PROXY_HEADER} header)"
        )
    if proxy_header.rstrip("/") != location.rstrip("/"):
        return (
            f"the proxy in front serves {proxy_header!r} ({PROXY_HEADER}), "
            f"not ATTACHMENT_STORAGE_REDIRECT_LOCATION={location}"
        )
    return None
