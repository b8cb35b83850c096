"""Glue between Odoo and ``odoo_cloud.logs``, installed by ``post_load``.

Server-wide modules load in every Odoo process before it serves: in the
prefork master before it forks the HTTP and cron workers (which inherit the
formatter), and in the gevent process, which Odoo starts as a new odoo-bin.
"""

import functools
import logging
import threading
import time

import odoo.http
from odoo.tools import config as odoo_config
from werkzeug.wsgi import ClosingIterator

from odoo_cloud import logs
from odoo_cloud.config import load
from odoo_cloud.startup import refusing_to_start

_logger = logging.getLogger(__name__)


@refusing_to_start("logging_json")
def post_load():
    config = load(
        running_env_option=odoo_config.get("running_env"), groups=("logging",)
    )
    if config["ODOO_LOGGING_JSON"]:
        install(config)


def install(config):
    logs.install(logs.formatter_from_config(config, context=odoo_context))
    # First: Odoo's PerfFilter deletes the counters once it has read them.
    logging.getLogger("werkzeug").filters.insert(0, SqlCounters())
    Application = odoo.http.Application
    Application.__call__ = with_request_id(Application.__call__)
    _logger.info(
        "JSON logs enabled, %s field names", config["ODOO_LOGGING_JSON_FIELDS"]
    )


def odoo_context():
    """The database and user Odoo keeps on the thread serving the request or
    running the cron job."""
    thread = threading.current_thread()
    return {"db": getattr(thread, "dbname", None), "uid": getattr(thread, "uid", None)}


class SqlCounters(logging.Filter):
    """Copies the counters Odoo keeps per request onto its access line, as
    numbers; Odoo itself only prints them as text (``perf_info``)."""

    def filter(self, record):
        thread = threading.current_thread()
        if hasattr(thread, "query_count") and hasattr(thread, "perf_t0"):
            record.sql_count = thread.query_count
            record.sql_time_ms = round(thread.query_time * 1000, 3)
            record.duration_ms = round((time.time() - thread.perf_t0) * 1000, 3)
        return True


def with_request_id(call):
    """Wrap ``Application.__call__``: each request logs under its own id, which
    the response carries back; the id is forgotten once the response is sent,
    after werkzeug's access line."""

    @functools.wraps(call)
    def __call__(self, environ, start_response):
        request_id = logs.start_request(
            environ.get("HTTP_X_REQUEST_ID"), environ.get("HTTP_TRACEPARENT")
        )

        def start_response_with_id(status, headers, exc_info=None):
            headers = [(k, v) for k, v in headers if k.lower() != "x-request-id"]
            headers.append((logs.REQUEST_ID_HEADER, request_id))
            return start_response(status, headers, exc_info)

        try:
            response = call(self, environ, start_response_with_id)
        except BaseException:
            logs.end_request()
            raise
        return ClosingIterator(response, logs.end_request)

    return __call__
