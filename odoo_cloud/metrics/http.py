"""Each HTTP request measured once, around Odoo's WSGI application.

:class:`RequestMeter` times a request until its response is sent (its body
closed), counts it under a few labels that stay few whatever the URL, and
answers the probe endpoints (``/metrics``, ``/health/*``) itself, before
Odoo: they need no database, and must neither create nor touch a session.
"""

import mmap
import re
import time

from . import recorder
from .catalog import (
    HTTP_REQUEST_DURATION,
    HTTP_REQUEST_SQL_QUERIES,
    HTTP_REQUEST_SQL_SECONDS,
    HTTP_REQUESTS,
    HTTP_REQUESTS_IN_FLIGHT,
    WORKER_MEMORY,
)

PROBE_KINDS = {
    "/metrics": "metrics",
    "/health/live": "health",
    "/health/ready": "health",
    "/web/health": "health",
}
_STATIC = re.compile(r"/[^/]+/static/|/web/assets/")
_ATTACHMENT = ("/web/content", "/web/image", "/web/binary")
_WEBSOCKET = ("/websocket", "/longpolling")
_PAGE_METHODS = {"GET", "HEAD", "POST"}
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
# A process that samples its memory per request does it at most this often.
MEMORY_SAMPLE_INTERVAL = 1.0


def _under(path, prefixes):
    return any(path == p or path.startswith(p + "/") for p in prefixes)


def request_kind(environ):
    """What a request asks for: ``page``, ``jsonrpc``, ``static``,
    ``attachment``, ``websocket``, ``health``, ``metrics`` or ``other``."""
    path = environ.get("PATH_INFO") or "/"
    if path in PROBE_KINDS:
        return PROBE_KINDS[path]
    if _STATIC.match(path):
        return "static"
    if _under(path, _ATTACHMENT):
        return "attachment"
    if _under(path, _WEBSOCKET):
        return "websocket"
    content_type = environ.get("CONTENT_TYPE") or ""
    if content_type.startswith("application/json") or path == "/jsonrpc":
        return "jsonrpc"
    if environ.get("REQUEST_METHOD") in _PAGE_METHODS and not path.startswith(
        "/xmlrpc"
    ):
        return "page"
    return "other"


def method_label(environ):
    method = environ.get("REQUEST_METHOD", "")
    return method if method in METHODS else "other"


def status_class(status):
    """``2xx`` for ``"200 OK"``; a request that never started its response
    failed: ``5xx``."""
    if status and status[0] in "12345":
        return f"{status[0]}xx"
    return "5xx"


def resident_memory():
    """Resident memory of this process in bytes (Linux), None elsewhere."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * mmap.PAGESIZE
    except (OSError, ValueError, IndexError):
        return None


def sample_memory(worker):
    """Record this process's memory under ``worker`` (http, cron, ...)."""
    memory = resident_memory()
    if memory is not None:
        recorder.set_gauge(WORKER_MEMORY, (worker,), memory)


class RequestMeter:
    """Measures the requests of a WSGI application.

    ``counters`` returns (database, SQL queries, SQL seconds) of the request
    the calling thread just served, as the wrapped application keeps them.
    ``endpoints`` maps a path to the WSGI application that answers it in
    place of the wrapped one. ``memory_worker``, when set, names the process
    whose memory is sampled after its requests (the gevent process and the
    threaded server, which have no worker loop of their own to do it).
    """

    def __init__(self, counters):
        self.endpoints = {}
        self.counters = counters
        self.memory_worker = None
        self._memory_sampled = 0.0

    def __call__(self, app, environ, start_response):
        endpoint = self.endpoints.get(environ.get("PATH_INFO"))
        if endpoint is not None:
            app = endpoint
        if not recorder.sinks():
            return app(environ, start_response)
        start = time.perf_counter()
        recorder.adjust_gauge(HTTP_REQUESTS_IN_FLIGHT, (), 1)
        # A probe answered here never reaches Odoo: the thread's counters are
        # those of the request before.
        status, counters = [], [] if endpoint is None else [(None, 0, 0.0)]

        def start_response_seen(line, headers, exc_info=None):
            # Odoo's counters are final once it starts its response, and are
            # gone once the server logs it (odoo.netsvc.PerfFilter), before
            # the body is closed.
            status[:] = [line]
            if not counters:
                counters.append(self.counters())
            return start_response(line, headers, exc_info)

        def finish():
            self._record(environ, start, status, counters or [self.counters()])

        try:
            body = app(environ, start_response_seen)
        except BaseException:
            finish()
            raise
        return ClosingBody(body, finish)

    def _record(self, environ, start, status, counters):
        duration = time.perf_counter() - start
        recorder.adjust_gauge(HTTP_REQUESTS_IN_FLIGHT, (), -1)
        db, queries, sql_seconds = counters[0]
        kind, db = request_kind(environ), db or "none"
        labels = (kind, method_label(environ), status_class(status and status[0]), db)
        recorder.increment(HTTP_REQUESTS, labels)
        recorder.observe(HTTP_REQUEST_DURATION, labels, duration)
        recorder.observe(HTTP_REQUEST_SQL_QUERIES, (kind, db), queries)
        recorder.observe(HTTP_REQUEST_SQL_SECONDS, (kind, db), sql_seconds)
        now = time.monotonic()
        if self.memory_worker and now - self._memory_sampled >= MEMORY_SAMPLE_INTERVAL:
            self._memory_sampled = now
            sample_memory(self.memory_worker)


class ClosingBody:
    """A response body that calls ``on_close`` once the server closed it:
    after the last byte was sent, or the client went away."""

    def __init__(self, body, on_close):
        self._body = body
        self._on_close = on_close

    def __iter__(self):
        return iter(self._body)

    def close(self):
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._on_close()
