"""``/metrics``, ``/health/live`` and ``/health/ready`` as WSGI applications,
and the small server that answers them on a port of their own.

They answer before Odoo's application: no database is selected, no session
is read or written, no cookie is set.
"""

import json
import logging
import os
import socket
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from .. import health, logs
from .http import PROBE_KINDS
from .prometheus import CONTENT_TYPE

_logger = logging.getLogger(__name__)

_REASONS = {
    200: "200 OK",
    401: "401 Unauthorized",
    403: "403 Forbidden",
    404: "404 Not Found",
    405: "405 Method Not Allowed",
    503: "503 Service Unavailable",
}


def respond(environ, start_response, code, body, content_type, headers=()):
    """A complete response; a HEAD gets the headers only."""
    start_response(
        _REASONS[code],
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
            *headers,
        ],
    )
    return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]


def _text(environ, start_response, code, headers=()):
    body = f"{_REASONS[code][4:]}\n".encode()
    return respond(
        environ, start_response, code, body, "text/plain; charset=utf-8", headers
    )


def not_found(environ, start_response):
    return _text(environ, start_response, 404)


def _read_only(endpoint):
    def answer(self, environ, start_response):
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return _text(environ, start_response, 405, [("Allow", "GET, HEAD")])
        return endpoint(self, environ, start_response)

    return answer


class Probes:
    """The three endpoints of a server.

    ``readiness_checks()`` returns the checks of the moment (component ->
    callable, see :func:`odoo_cloud.health.readiness`): the session store and
    the object stores of a process can change after it started.
    """

    def __init__(self, sink, access, readiness_checks, timeout):
        self.sink = sink
        self.access = access
        self.readiness_checks = readiness_checks
        self.timeout = timeout

    @property
    def endpoints(self):
        return {
            "/metrics": self.metrics,
            "/health/live": self.live,
            "/health/ready": self.ready,
        }

    @_read_only
    def metrics(self, environ, start_response):
        refusal = self.access.refusal(environ)
        if refusal == 401:
            challenge = [("WWW-Authenticate", 'Bearer realm="metrics"')]
            return _text(environ, start_response, 401, challenge)
        if refusal:
            return _text(environ, start_response, refusal)
        return respond(
            environ, start_response, 200, self.sink.exposition(), CONTENT_TYPE
        )

    @_read_only
    def live(self, environ, start_response):
        return self._health(environ, start_response, *health.liveness())

    @_read_only
    def ready(self, environ, start_response):
        """Open to all; the errors, which name hosts and buckets, only to a
        caller who may read ``/metrics``."""
        ready, body = health.readiness(self.readiness_checks(), self.timeout)
        if self.access.refusal(environ):
            body = health.without_errors(body)
        return self._health(environ, start_response, ready, body)

    def _health(self, environ, start_response, ok, body):
        return respond(
            environ,
            start_response,
            200 if ok else 503,
            json.dumps(body).encode(),
            "application/json",
        )


class ProbeAccessLines(logging.Filter):
    """Keeps werkzeug's access lines of probes and scrapes answered below 400
    out of the log: a load balancer's check every second would fill it. A
    probe that fails is logged."""

    def filter(self, record):
        line = logs.access_line(record)
        return (
            line is None
            or line.path not in PROBE_KINDS
            or not line.status.isdigit()
            or int(line.status) >= 400
        )


def log_probes(wanted):
    """Unless ``wanted`` (``ODOO_LOG_PROBES``), keep the access lines of
    successful probes out of the log, in this process and those it forks."""
    if not wanted:
        logging.getLogger("werkzeug").addFilter(ProbeAccessLines())


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _ThreadingServer6(_ThreadingServer):
    address_family = socket.AF_INET6


class _Handler(WSGIRequestHandler):
    def log_message(self, format, *args):
        _logger.debug("%s - %s", self.address_string(), format % args)


def serve(app, host, port):
    """Answer ``app`` on ``host:port`` from a daemon thread; the server.

    A process forked afterwards (a prefork worker) closes its copy of the
    listening socket: only this process answers on the port.
    """
    server_class = _ThreadingServer6 if ":" in host else _ThreadingServer
    server = make_server(host, port, app, server_class, _Handler)
    os.register_at_fork(after_in_child=server.socket.close)
    thread = threading.Thread(
        target=server.serve_forever, name=f"probes-{port}", daemon=True
    )
    thread.start()
    _logger.info("Metrics and health probes also served on %s:%s", host, port)
    return server
