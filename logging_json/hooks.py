"""Glue between Odoo and ``odoo_cloud.logs``, installed by ``post_load``.

Server-wide modules load in every Odoo process before it serves: in the
prefork master before it forks the HTTP and cron workers (which inherit the
formatter), and in the gevent process, which Odoo starts as a new odoo-bin.
"""

import logging

from werkzeug.wsgi import ClosingIterator

from odoo_cloud import logs
from odoo_cloud.config import load
from odoo_cloud.startup import refusing_to_start
from odoo_cloud_adapter import http, options

_logger = logging.getLogger(__name__)


@refusing_to_start("logging_json")
def post_load():
    config = load(running_env_option=options.running_env(), groups=("logging",))
    if config["ODOO_LOGGING_JSON"]:
        install(config)


def install(config):
    logs.install(logs.formatter_from_config(config, context=odoo_context))
    http.count_sql_on_access_lines()
    http.wrap_application(with_request_id)
    _logger.info(
        "JSON logs enabled, %s field names", config["ODOO_LOGGING_JSON_FIELDS"]
    )


def odoo_context():
    """The database and user Odoo keeps on the thread serving the request or
    running the cron job."""
    state = http.thread_state()
    return {"db": state.database, "uid": state.uid}


def with_request_id(app, environ, start_response):
    """Around Odoo's application: each request logs under its own id, which
    the response carries back; the id is forgotten once the response is sent,
    after werkzeug's access line."""
    request_id = logs.start_request(
        environ.get("HTTP_X_REQUEST_ID"), environ.get("HTTP_TRACEPARENT")
    )

    def start_response_with_id(status, headers, exc_info=None):
        headers = [(k, v) for k, v in headers if k.lower() != "x-request-id"]
        headers.append((logs.REQUEST_ID_HEADER, request_id))
        return start_response(status, headers, exc_info)

    try:
        response = app(environ, start_response_with_id)
    except BaseException:
        logs.end_request()
        raise
    return ClosingIterator(response, logs.end_request)
