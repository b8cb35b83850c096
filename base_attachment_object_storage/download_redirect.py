"""Large downloads handed to the object store (``ATTACHMENT_STORAGE_REDIRECT``),
once Odoo checked access and built its response: the rules are in
:mod:`odoo_cloud.storage.redirect`."""

import logging

from odoo.http import Response, request

from odoo_cloud.errors import StorageError
from odoo_cloud.storage.redirect import (
    PROXY_HEADER,
    SIGNED_URL,
    offloaded,
    proxy_problem,
    x_accel_path,
)

from .settings import settings

_logger = logging.getLogger(__name__)
# Headers of Odoo's answer that describe its body, which nginx replaces by the
# store's answer to the same request (ranges included).
BODY_HEADERS = ("Content-Length", "Content-Range")


def redirect_response(stream, response):
    """The answer sending the download of ``stream`` (an object) to the
    store instead of ``response``, Odoo's; None when Odoo serves it."""
    config = settings()
    if not offloaded(
        config,
        request.httprequest.method,
        response.status_code,
        stream.size,
        stream.public,
        response.cache_control.max_age,
    ):
        return None
    if config["ATTACHMENT_STORAGE_REDIRECT"] != SIGNED_URL and (
        problem := proxy_problem(config, request.httprequest.headers.get(PROXY_HEADER))
    ):
        _logger.warning(
            "download of %s served by Odoo, not offloaded with X-Accel-Redirect: %s",
            stream.key,
            problem,
        )
        return None
    try:
        url = stream.store.signed_url(
            stream.key,
            config["ATTACHMENT_STORAGE_REDIRECT_TTL"],
            response.headers["Content-Type"],
            response.headers["Content-Disposition"],
        )
    except StorageError as reason:
        _logger.info("download of %s served by Odoo: %s", stream.key, reason)
        return None
    response.response.close()  # the object's reader, never read
    if config["ATTACHMENT_STORAGE_REDIRECT"] == SIGNED_URL:
        # 302 as Odoo answers a URL attachment: a GET is followed with a GET.
        headers = {"Location": url, "Cache-Control": "no-store"}
        return Response(status=302, headers=headers)
    offload = Response(status=200, headers=response.headers)
    for name in BODY_HEADERS:
        offload.headers.pop(name, None)
    location = config["ATTACHMENT_STORAGE_REDIRECT_LOCATION"]
    offload.headers["X-Accel-Redirect"] = x_accel_path(location, url)
    # As Odoo's X-Sendfile answer: else nginx waits for a body that never comes.
    offload.headers["Content-Length"] = "0"
    return offload
