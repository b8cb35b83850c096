"""The prometheus_server fixture scrapes a target with a bearer token and
answers queries through the HTTP API."""

import contextlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import prometheus_client

from local_platform.process import wait_until
from local_platform.prometheus_server import png_summary

TOKEN = "harness-token"


@contextlib.contextmanager
def token_protected_metrics():
    """A loopback /metrics endpoint with one counter, refusing a wrong token."""
    registry = prometheus_client.CollectorRegistry()
    counter = prometheus_client.Counter(
        "harness_events", "Events counted by the harness test.", registry=registry
    )

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self.send_error(401)
                return
            body = prometheus_client.generate_latest(registry)
            self.send_response(200)
            self.send_header("Content-Type", prometheus_client.CONTENT_TYPE_LATEST)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_port}", counter
    finally:
        server.shutdown()
        server.server_close()


def test_scrapes_with_the_bearer_token(prometheus_server):
    with token_protected_metrics() as (target, counter):
        counter.inc(3)
        prometheus = prometheus_server(target, bearer_token=TOKEN)
        prometheus.wait_for_scrape()
        [result] = prometheus.query("harness_events_total")
        assert result["metric"]["instance"] == target
        assert result["value"][1] == "3"

        end = time.time()
        [series] = prometheus.query_range("up", end - 5, end)
        assert series["values"][-1][1] == "1"


def test_a_wrong_token_leaves_the_target_down(prometheus_server):
    with token_protected_metrics() as (target, _counter):
        prometheus = prometheus_server(target, bearer_token="wrong")

        def refused():
            [state] = prometheus.targets()
            return state["health"] == "down" and "401" in state["lastError"]

        wait_until(refused, 30, "the scrape to be refused", prometheus.process)


def test_screenshot_of_the_graph_page(prometheus_server, tmp_path):
    with token_protected_metrics() as (target, counter):
        counter.inc()
        prometheus = prometheus_server(target, bearer_token=TOKEN)
        prometheus.wait_for_scrape()
        shot = prometheus.screenshot("harness_events_total", tmp_path / "graph.png")
    width, height, variety = png_summary(shot)
    assert (width, height) == (1280, 800)
    assert variety > 100
