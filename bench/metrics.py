"""What the monitoring addons cost, against baselines of the same run.

1. JSON-RPC requests per second on ``odoo-bin`` (prefork, 2 workers) with
   ``monitoring_prometheus`` and ``monitoring_statsd`` loaded (statsd sending
   to a real UDP receiver) vs neither (target ratio >= 0.95);
2. the time of one scrape of a multiprocess directory holding the files of 8
   worker processes, each having recorded a realistic set of series;
3. what measuring one request costs in-process (microseconds), with no sink,
   the Prometheus sink, and both sinks: the part of (1) the addons add.

Every server is started here (``local_platform``) and stopped at the end.
Figures are printed, never asserted. Run:
``ODOO_SRC=/path/to/odoo .venv/bin/python -m bench.metrics``.
"""

import os
import tempfile
import time
from pathlib import Path

import requests

from local_platform.odoo_server import OdooInstance
from local_platform.postgres_server import run_postgres
from local_platform.statsd_receiver import run_statsd_receiver
from odoo_cloud.metrics import catalog, prometheus, recorder
from odoo_cloud.metrics.http import RequestMeter
from odoo_cloud.metrics.statsd import StatsdSink

from .measure import (
    compare_odoo_servers,
    concurrent_rate,
    line,
    odoo_tree,
    paired_line,
    rate,
)

CLIENTS = 4  # concurrent JSON-RPC clients
ROUND = 1.0  # seconds per measure and round
WORKER_FILES = 8
KINDS = ("page", "jsonrpc", "static", "attachment", "websocket", "health", "other")
STATUSES = ("2xx", "3xx", "4xx", "5xx")
DATABASES = ("prod", "none")


def rpc_rate(server):
    """Unauthenticated /web/webclient/version_info calls per second."""

    def client():
        http = requests.Session()
        url = f"{server.url}/web/webclient/version_info"
        return lambda: http.post(url, json={}, timeout=30).raise_for_status()

    return concurrent_rate(client, CLIENTS, ROUND)


def record_like_a_worker():
    """Every series a busy HTTP worker would have written."""
    for kind in KINDS:
        for db in DATABASES:
            for status in STATUSES:
                labels = (kind, "GET", status, db)
                recorder.increment(catalog.HTTP_REQUESTS, labels)
                recorder.observe(catalog.HTTP_REQUEST_DURATION, labels, 0.05)
            recorder.observe(catalog.HTTP_REQUEST_SQL_QUERIES, (kind, db), 12)
            recorder.observe(catalog.HTTP_REQUEST_SQL_SECONDS, (kind, db), 0.01)
    for operation in ("get", "save", "delete", "rotate"):
        recorder.observe(catalog.SESSION_STORE_DURATION, (operation,), 0.001)
    for operation in ("put", "get", "open", "head", "delete", "list"):
        recorder.observe(catalog.OBJECT_STORE_DURATION, ("s3", operation), 0.02)
    recorder.adjust_gauge(catalog.HTTP_REQUESTS_IN_FLIGHT, (), 1)
    recorder.set_gauge(catalog.WORKER_MEMORY, ("http",), 150_000_000)


def scrape_time(directory):
    """Milliseconds of one scrape of ``WORKER_FILES`` processes' files
    (``directory`` is the prepared multiprocess directory)."""
    sink = prometheus.PrometheusSink(directory)
    recorder.subscribe(sink)
    for _ in range(WORKER_FILES):
        pid = os.fork()
        if pid == 0:
            record_like_a_worker()
            os._exit(0)
        os.waitpid(pid, 0)
    recorder.unsubscribe(sink)
    files = len(list(Path(directory).glob("*.db")))
    size = len(sink.exposition())
    best = min(_timed(sink.exposition) for _ in range(20))
    print(
        f"One scrape, {WORKER_FILES} worker processes ({files} files, "
        f"{size:,} bytes of text)"
    )
    line("scrape time", best * 1000, unit="ms")


def meter_cost(path, receiver):
    """Microseconds the request meter adds to one JSON-RPC request."""
    meter = RequestMeter(counters=lambda: ("prod", 12, 0.01))
    environ = {
        "PATH_INFO": "/web/dataset/call_kw",
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": "application/json",
    }

    def app(environ, start_response):
        start_response("200 OK", [])
        return [b"{}"]

    def request():
        response = meter(app, environ, lambda *args: None)
        if hasattr(response, "close"):  # measured: closing records it
            response.close()

    sinks = {
        "no sink": (),
        "Prometheus sink": (prometheus.PrometheusSink(path),),
        "Prometheus and statsd sinks": (
            prometheus.PrometheusSink(path),
            StatsdSink(receiver.host, receiver.port, "bench.bench.dev."),
        ),
    }
    print("Request meter, in-process, per request")
    for name, subscribed in sinks.items():
        for sink in subscribed:
            recorder.subscribe(sink)
        line(name, 1e6 / rate(request, ROUND), unit="us")
        for sink in subscribed:
            recorder.unsubscribe(sink)


def _timed(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main():
    tree, reason = odoo_tree()
    with tempfile.TemporaryDirectory(prefix="bench-metrics-") as tmp:
        base = Path(tmp)
        # First: prometheus_client must see PROMETHEUS_MULTIPROC_DIR on import.
        directory, _ = prometheus.prepare_directory(str(base / "scrape"))
        scrape_time(directory)
        with run_statsd_receiver() as receiver:
            meter_cost(directory, receiver)
        if tree is None:
            print(f"odoo-bin requests skipped: {reason}")
            return
        print(f"JSON-RPC, {CLIENTS} clients, odoo-bin prefork 2 workers")
        with run_postgres(base) as postgres, run_statsd_receiver() as receiver:
            instance = OdooInstance(tree, postgres, base / "odoo-data")
            database = instance.install("bench_metrics", ["web"])
            monitoring_env = {
                "PROMETHEUS_MULTIPROC_DIR": str(base / "odoo-metrics"),
                "ODOO_STATSD": "1",
                "STATSD_HOST": receiver.host,
                "STATSD_PORT": str(receiver.port),
                "STATSD_CUSTOMER": "bench",
                "STATSD_ENVIRONMENT": "dev",
            }
            servers = {
                "no monitoring (baseline)": (("base", "web"), {}),
                "monitoring_prometheus + monitoring_statsd": (
                    ("base", "web", "monitoring_prometheus", "monitoring_statsd"),
                    monitoring_env,
                ),
            }
            results = compare_odoo_servers(instance, database, base, servers, rpc_rate)
            baseline = results.pop("no monitoring (baseline)")
            line("no monitoring (baseline)", max(baseline))
            for name, values in results.items():
                paired_line(name, values, baseline)


if __name__ == "__main__":
    main()
