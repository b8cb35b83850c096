"""The suite's metrics: names, types, labels and buckets.

These names are a contract: the Prometheus exporter, the statsd exporter, the
Grafana dashboard and the alert rules all use them as written here. Label
values stay few (a route kind, a status class, a database name), never a URL
or an id, so that every series stays cheap to keep.
"""

from typing import NamedTuple


class Metric(NamedTuple):
    name: str
    type: str  # counter, histogram or gauge
    help: str
    labels: tuple = ()
    buckets: tuple = ()
    # How prometheus_client merges a gauge across processes.
    multiprocess_mode: str = ""


# Seconds of an HTTP request, from a static file to a long report.
REQUEST_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
SQL_QUERIES = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000)
# Seconds of one call to Redis or an object store.
STORE_SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)

HTTP_REQUESTS = Metric(
    "odoo_http_requests_total",
    "counter",
    "HTTP requests answered.",
    ("kind", "method", "status", "db"),
)
HTTP_REQUEST_DURATION = Metric(
    "odoo_http_request_duration_seconds",
    "histogram",
    "Time from receiving a request to the end of its response.",
    ("kind", "method", "status", "db"),
    REQUEST_SECONDS,
)
HTTP_REQUEST_SQL_QUERIES = Metric(
    "odoo_http_request_sql_queries",
    "histogram",
    "SQL queries run by one request.",
    ("kind", "db"),
    SQL_QUERIES,
)
HTTP_REQUEST_SQL_SECONDS = Metric(
    "odoo_http_request_sql_seconds",
    "histogram",
    "Time one request spent in SQL queries.",
    ("kind", "db"),
    REQUEST_SECONDS,
)
HTTP_REQUESTS_IN_FLIGHT = Metric(
    "odoo_http_requests_in_flight",
    "gauge",
    "Requests being answered now.",
    multiprocess_mode="livesum",
)
WORKER_MEMORY = Metric(
    "odoo_worker_memory_bytes",
    "gauge",
    "Resident memory of each Odoo process.",
    ("worker",),
    multiprocess_mode="liveall",
)
WORKER_RECYCLES = Metric(
    "odoo_worker_recycles_total",
    "counter",
    "Workers stopped by Odoo for reaching a limit.",
    ("reason",),
)
SESSION_STORE_DURATION = Metric(
    "odoo_session_store_duration_seconds",
    "histogram",
    "Time of one session store operation.",
    ("operation",),
    STORE_SECONDS,
)
SESSION_STORE_ERRORS = Metric(
    "odoo_session_store_errors_total",
    "counter",
    "Session store operations that failed.",
    ("operation",),
)
OBJECT_STORE_DURATION = Metric(
    "odoo_object_store_duration_seconds",
    "histogram",
    "Time of one object store operation (a list: all of its pages).",
    ("backend", "operation"),
    STORE_SECONDS,
)
OBJECT_STORE_ERRORS = Metric(
    "odoo_object_store_errors_total",
    "counter",
    "Object store operations that failed (a missing object is no failure).",
    ("backend", "operation"),
)

# The error counter of each timed operation: the Prometheus sink shows it at 0
# from the operation's first call on, so that Prometheus sees its first error
# as an increase.
ERRORS_OF = {
    SESSION_STORE_DURATION.name: SESSION_STORE_ERRORS,
    OBJECT_STORE_DURATION.name: OBJECT_STORE_ERRORS,
}

METRICS = (
    HTTP_REQUESTS,
    HTTP_REQUEST_DURATION,
    HTTP_REQUEST_SQL_QUERIES,
    HTTP_REQUEST_SQL_SECONDS,
    HTTP_REQUESTS_IN_FLIGHT,
    WORKER_MEMORY,
    WORKER_RECYCLES,
    SESSION_STORE_DURATION,
    SESSION_STORE_ERRORS,
    OBJECT_STORE_DURATION,
    OBJECT_STORE_ERRORS,
)
