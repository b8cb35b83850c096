"""HAProxy in front of instances that die mid-request, as make run and the
failover run configure it (local_platform/haproxy_server.py).

Each instance is a small HTTP server in a process of its own: ready on
``/health/ready``, and on any other path either answering at once or, for
the instance that is to be killed, writing down the request and hanging.
"""

import contextlib
import sys
import threading

import pytest
import requests

from local_platform.haproxy_server import HAProxy
from local_platform.process import (
    ServerProcess,
    free_port,
    port_is_open,
    running,
    wait_until,
)

INSTANCE = """
import http.server, pathlib, sys, time

port, hangs = int(sys.argv[1]), sys.argv[2] == "hang"
received = pathlib.Path(sys.argv[3])

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self):
        if self.path != "/health/ready":
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with received.open("a") as log:
                log.write(f"{self.command} {self.path}\\n")
            if hangs:
                time.sleep(600)
        body = f"served on {port}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = answer

http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
"""


class Instance:
    """One instance, hanging on every request when ``hangs``."""

    def __init__(self, base, number, hangs):
        self.port = free_port()
        self.received = base / f"received-{number}"
        self.received.touch()
        self.process = ServerProcess(
            f"instance-{number}",
            [sys.executable, "-c", INSTANCE, str(self.port),
             "hang" if hangs else "answer", str(self.received)],
            base / f"instance-{number}.log",
        )  # fmt: skip

    def start(self):
        self.process.start()
        wait_until(lambda: port_is_open(self.port), 10, "the instance", self.process)
        return self

    def requests(self):
        return self.received.read_text().splitlines()


@pytest.fixture
def topology(tmp_path):
    """A healthy instance, one that hangs, and HAProxy in front, all up."""
    answering, hanging = Instance(tmp_path, 1, False), Instance(tmp_path, 2, True)
    ports = [(instance.port, free_port()) for instance in (answering, hanging)]
    proxy = HAProxy(tmp_path, ports)
    with contextlib.ExitStack() as stack:
        for instance in (answering, hanging):
            stack.callback(instance.process.stop)
            instance.start()
        stack.enter_context(running(proxy))
        wait_until(
            lambda: set(proxy.server_states().values()) == {"UP"},
            10,
            "both instances to be up",
        )
        yield proxy, answering, hanging


def send_to_the_hanging_instance(proxy, hanging, method):
    """``method /hang`` through HAProxy until a request reaches the hanging
    instance (round-robin: the first or the second); then kill it. The
    replies, the last for the request it was serving.

    Each request comes on a new connection: HAProxy answers a request that
    came on a connection it had already used by closing it without an
    answer, so that the client decides whether to send it again."""
    replies = []

    def send():
        while not hanging.requests():
            replies.append(requests.request(method, f"{proxy.url}/hang", timeout=30))

    client = threading.Thread(target=send)
    client.start()
    wait_until(hanging.requests, 10, "a request to reach the hanging instance")
    hanging.process.kill()
    client.join(30)
    return replies


def test_a_get_the_killed_instance_was_serving_is_answered_by_another(topology):
    proxy, answering, hanging = topology
    *_, reply = send_to_the_hanging_instance(proxy, hanging, "GET")
    assert reply.status_code == 200
    assert reply.text == f"served on {answering.port}"
    assert hanging.requests() == ["GET /hang"]


def test_a_post_the_killed_instance_was_serving_is_never_sent_again(topology):
    proxy, answering, hanging = topology
    *served, reply = send_to_the_hanging_instance(proxy, hanging, "POST")
    assert reply.status_code == 502
    assert "will be back shortly" in reply.text
    assert "the Odoo instance that was serving this request" in reply.text
    assert hanging.requests() == ["POST /hang"]
    assert len(answering.requests()) == len(served)


def test_with_no_instance_left_haproxy_answers_the_outage_page(topology):
    proxy, answering, hanging = topology
    for instance in (answering, hanging):
        instance.process.kill()
    reply = requests.get(f"{proxy.url}/odoo", timeout=30)
    assert reply.status_code == 503
    assert reply.headers["Retry-After"] == "5"
    assert reply.headers["Cache-Control"] == "no-store"
    assert reply.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Reason: no Odoo instance does not answer." in reply.text
    for outside in ("<script", "<link", "src="):
        assert outside not in reply.text


def test_the_access_log_keeps_no_query_string(tmp_path):
    instance = Instance(tmp_path, 1, False)
    proxy = HAProxy(tmp_path, [(instance.port, free_port())])
    with contextlib.ExitStack() as stack:
        stack.callback(instance.process.stop)
        instance.start()
        stack.enter_context(running(proxy))
        wait_until(lambda: proxy.server_states() == {"odoo-1": "UP"}, 10, "UP")
        url = f"{proxy.url}/web/content/7?password=hunter2&sig=s3cr3t"
        assert requests.get(url, timeout=30).status_code == 200
        wait_until(proxy.access_log, 10, "the access line")
    (line,) = proxy.access_log()
    assert '"GET /web/content/7 HTTP/1.1"' in line
    assert "hunter2" not in line and "s3cr3t" not in line
