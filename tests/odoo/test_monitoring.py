"""monitoring_prometheus and monitoring_statsd on a real odoo-bin.

Prefork with 2 HTTP workers, a cron worker and the gevent process: one scrape
sums them all; a worker killed with SIGKILL leaves its counters and takes its
gauges away; the probes answer without a session; statsd gets the documented
names and costs nothing when nobody listens.
"""

import concurrent.futures
import contextlib
import glob
import os
import re
import signal
import socket
import statistics
import threading
import time
import uuid

import pytest
import requests
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from local_platform.process import free_port, port_is_open, wait_until
from local_platform.redis_server import run_redis

LOAD = ("base", "web", "monitoring_prometheus", "monitoring_statsd")
TOKEN = "scrape-token-4f1c"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
VERSION_INFO = "/web/webclient/version_info"
# werkzeug colours the request line of some access lines.
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def database(odoo_database):
    return odoo_database(["web"])


def scrape(url, token=TOKEN, **headers):
    """The samples of one scrape, parsed by prometheus_client's parser."""
    if token:
        headers["Authorization"] = f"Bearer {token}"
    reply = requests.get(f"{url}/metrics", headers=headers, timeout=30)
    assert reply.status_code == 200, reply.text
    assert reply.headers["Content-Type"] == CONTENT_TYPE
    assert "Set-Cookie" not in reply.headers
    families = text_string_to_metric_families(reply.text)
    return [sample for family in families for sample in family.samples]


def value(samples, name, **labels):
    """The sum of the samples ``name`` whose labels include ``labels``."""
    return sum(
        sample.value
        for sample in samples
        if sample.name == name and labels.items() <= sample.labels.items()
    )


def labels_of(samples, name):
    return [sample.labels for sample in samples if sample.name == name]


def jsonrpc_calls(server, count, clients=4):
    """``count`` JSON-RPC calls from ``clients`` threads, each on new
    connections, so that both workers accept some."""

    def call(_):
        reply = requests.post(f"{server.url}{VERSION_INFO}", json={}, timeout=60)
        assert reply.status_code == 200, reply.text

    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        list(pool.map(call, range(count)))


def jsonrpc_per_process(directory):
    """Completed JSON-RPC requests by pid, read from each process's file."""
    counts = {}
    for path in glob.glob(os.path.join(directory, "counter_*.db")):
        pid = int(path.rsplit("_", 1)[1].removesuffix(".db"))
        metrics = MultiProcessCollector.merge([path], accumulate=False)
        counts[pid] = sum(
            sample.value
            for metric in metrics
            for sample in metric.samples
            if sample.name == "odoo_http_requests_total"
            and sample.labels["kind"] == "jsonrpc"
        )
    return counts


def in_flight_per_process(directory):
    counts = {}
    for path in glob.glob(os.path.join(directory, "gauge_livesum_*.db")):
        pid = int(path.rsplit("_", 1)[1].removesuffix(".db"))
        metrics = MultiProcessCollector.merge([path], accumulate=False)
        counts[pid] = sum(s.value for m in metrics for s in m.samples)
    return counts


@contextlib.contextmanager
def request_in_flight(server):
    """A JSON-RPC request whose body trickles in, one byte a second: a
    worker is busy with it until the block exits (it is then abandoned)."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.sendall(
        f"POST {VERSION_INFO} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n".encode()
    )
    done = threading.Event()

    def trickle():
        while not done.wait(1):
            with contextlib.suppress(OSError):
                sock.sendall(b" ")

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        sock.close()


def test_one_scrape_sums_every_process_and_survives_a_killed_worker(
    odoo, odoo_server, database, tmp_path
):
    directory = tmp_path / "metrics"
    probe_port = free_port()
    env = {
        "PROMETHEUS_MULTIPROC_DIR": str(directory),
        "ODOO_PROMETHEUS_TOKEN": TOKEN,
        "ODOO_PROMETHEUS_PORT": str(probe_port),
        # A reload re-executes its Python by name (``sys.executable``'s), found on PATH.
        "PATH": f"{odoo.python.parent}{os.pathsep}{os.environ['PATH']}",
    }
    # A low request limit: workers are recycled during the run, and what
    # they counted must stay.
    server = odoo_server(database, load=LOAD, env=env, args=["--limit-request=10"])
    probe_url = f"http://127.0.0.1:{probe_port}"

    for headers in ({}, {"Authorization": "Bearer wrong"}):
        refused = requests.get(f"{server.url}/metrics", headers=headers, timeout=30)
        assert refused.status_code == 401
        assert refused.text == "Unauthorized\n"
        assert "Set-Cookie" not in refused.headers
    assert requests.get(f"{probe_url}/metrics", timeout=30).status_code == 401

    requests_sent = 30
    jsonrpc_calls(server, requests_sent)
    wait_until(lambda: port_is_open(server.gevent_port), 60, "gevent", server.process)
    gevent = requests.get(
        f"http://127.0.0.1:{server.gevent_port}/websocket", timeout=30
    )
    assert gevent.status_code < 500

    # A request is counted once its response is closed, just after the
    # client has read it.
    def counted():
        samples = scrape(server.url)
        return (
            value(samples, "odoo_http_requests_total", kind="jsonrpc") >= requests_sent
            and value(samples, "odoo_http_requests_total", kind="websocket") >= 1
        )

    wait_until(counted, 30, "every request counted", server.process)
    samples = scrape(server.url)
    assert value(samples, "odoo_http_requests_total", kind="jsonrpc") == requests_sent
    assert value(samples, "odoo_http_requests_total", kind="websocket") == 1
    assert (
        value(samples, "odoo_http_request_duration_seconds_count", kind="jsonrpc")
        == requests_sent
    )
    assert value(samples, "odoo_http_request_sql_queries_sum", kind="jsonrpc") > 0
    assert value(samples, "odoo_worker_recycles_total", reason="requests") >= 1
    per_process = jsonrpc_per_process(directory)
    assert sum(per_process.values()) == requests_sent
    assert len([pid for pid, count in per_process.items() if count]) >= 2
    # The separate port (a thread of the prefork master) sees the same.
    from_master = scrape(probe_url)
    assert (
        value(from_master, "odoo_http_requests_total", kind="jsonrpc") == requests_sent
    )

    def workers():
        memory = labels_of(scrape(server.url), "odoo_worker_memory_bytes")
        return {(labels["worker"], int(labels["pid"])) for labels in memory}

    wait_until(
        lambda: {"http", "cron", "gevent"} <= {kind for kind, _ in workers()},
        60,
        "the memory of every kind of process",
        server.process,
    )

    with request_in_flight(server):
        wait_until(
            lambda: 1 in in_flight_per_process(directory).values(),
            30,
            "a worker busy with the trickling request",
        )
        busy = next(
            pid for pid, count in in_flight_per_process(directory).items() if count
        )
        assert ("http", busy) in workers()
        os.kill(busy, signal.SIGKILL)
        wait_until(
            lambda: (
                busy not in {pid for _, pid in workers()}
                and len({pid for kind, pid in workers() if kind == "http"}) == 2
            ),
            60,
            "the killed worker replaced",
            server.process,
        )
    samples = scrape(server.url)
    assert value(samples, "odoo_http_requests_total", kind="jsonrpc") == requests_sent
    # Only the scrape itself is in flight: the killed request left no trace.
    assert value(samples, "odoo_http_requests_in_flight") == 1
    assert value(samples, "odoo_worker_memory_bytes", pid=str(busy)) == 0

    # A graceful reload re-executes the master: the counts stay, the gauges
    # of the processes it stopped go.
    before = workers()
    os.kill(server.process.pid, signal.SIGHUP)

    def reloaded():
        with contextlib.suppress(requests.ConnectionError):  # while re-executing
            return not workers() & before
        return False

    wait_until(
        reloaded,
        120,
        "the reloaded server's new workers",
        server.process,
    )
    samples = scrape(server.url)
    assert value(samples, "odoo_http_requests_total", kind="jsonrpc") == requests_sent
    assert value(samples, "odoo_http_requests_in_flight") == 1


def test_a_worker_killed_at_the_time_limit_counts_as_a_time_recycle(
    odoo_server, database
):
    env = {"ODOO_PROMETHEUS_TOKEN": TOKEN}
    # The cron worker, which sleeps longer than that, keeps no time limit.
    args = ["--limit-time-real=3", "--limit-time-real-cron=0"]
    server = odoo_server(database, load=LOAD, env=env, args=args)
    with request_in_flight(server):
        wait_until(
            lambda: value(scrape(server.url), "odoo_worker_recycles_total") >= 1,
            60,
            "the master to kill the stuck worker",
            server.process,
        )
    samples = scrape(server.url)
    assert value(samples, "odoo_worker_recycles_total", reason="time") == 1
    assert value(samples, "odoo_http_requests_in_flight") == 1
    assert "WorkerHTTP" in server.log() and "timeout after 3s" in server.log()


def test_threaded_server_metrics_default_to_loopback_and_refuse_proxied_requests(
    odoo_server, database
):
    server = odoo_server(database, load=LOAD, env={}, workers=0)
    samples = scrape(server.url, token=None)
    memory = labels_of(samples, "odoo_worker_memory_bytes")
    assert [labels["worker"] for labels in memory] == ["threaded"]
    proxied = requests.get(
        f"{server.url}/metrics",
        headers={"X-Forwarded-For": "203.0.113.9"},
        timeout=30,
    )
    assert proxied.status_code == 403
    assert proxied.text == "Forbidden\n"


def test_readiness_follows_redis_and_no_probe_makes_a_session(
    odoo_server, database, tmp_path, moto_server
):
    prefix = f"probe-{uuid.uuid4().hex[:8]}"
    with run_redis(tmp_path) as redis_server:
        env = {
            "ODOO_SESSION_REDIS": "1",
            "ODOO_SESSION_REDIS_HOST": redis_server.host,
            "ODOO_SESSION_REDIS_PORT": str(redis_server.port),
            "ODOO_SESSION_REDIS_PREFIX": prefix,
            "ODOO_SESSION_REDIS_CONNECT_TIMEOUT": "0.5",
            "AWS_HOST": moto_server.endpoint_url,
            "AWS_ACCESS_KEY_ID": moto_server.access_key_id,
            "AWS_SECRET_ACCESS_KEY": moto_server.secret_access_key,
            "AWS_BUCKETNAME": "acme-odoo-{db}",
        }
        load = ("base", "web", "session_redis", "monitoring_prometheus")
        server = odoo_server(database, load=load, env=env)

        def probe(which):
            reply = requests.get(f"{server.url}/health/{which}", timeout=30)
            assert "Set-Cookie" not in reply.headers
            assert reply.headers["Content-Type"] == "application/json"
            return reply.status_code, reply.json()

        status, body = probe("ready")
        assert status == 200, body
        assert body["status"] == "ok"
        assert set(body["checks"]) == {"database", "redis", "object_store"}
        assert all(check["latency_ms"] >= 0 for check in body["checks"].values())
        assert probe("live") == (200, {"status": "ok", "checks": {}})

        redis_server.stop()
        status, body = probe("ready")
        assert status == 503, body
        assert body["status"] == "fail"
        assert body["checks"]["redis"]["status"] == "fail"
        assert f"127.0.0.1:{redis_server.port}" in body["checks"]["redis"]["error"]
        assert body["checks"]["database"]["status"] == "ok"
        assert probe("live")[0] == 200

        redis_server.start()
        status, body = probe("ready")
        assert status == 200, body
        assert probe("live")[0] == 200
        with redis_server.client() as client:
            assert list(client.scan_iter(match=f"{prefix}:*")) == []

    # werkzeug writes a request's access line before its answer: all are in.
    logged = ANSI.sub("", server.log())
    assert '"GET /health/ready HTTP/1.1" 503' in logged
    assert '"GET /health/ready HTTP/1.1" 200' not in logged
    assert '"GET /health/live HTTP/1.1" 200' not in logged


def test_odoo_log_probes_logs_the_successful_probes_too(odoo_server, database):
    env = {"ODOO_LOG_PROBES": "1"}
    server = odoo_server(database, load=LOAD, env=env, workers=0)
    assert requests.get(f"{server.url}/health/live", timeout=30).status_code == 200
    assert '"GET /health/live HTTP/1.1" 200' in ANSI.sub("", server.log())


def test_statsd_gets_the_documented_names_for_a_jsonrpc_call(
    odoo_server, database, statsd_receiver
):
    env = {
        "ODOO_STATSD": "1",
        "STATSD_HOST": statsd_receiver.host,
        "STATSD_PORT": str(statsd_receiver.port),
        "STATSD_CUSTOMER": "acme",
        "STATSD_ENVIRONMENT": "prod",
    }
    server = odoo_server(database, load=("base", "web", "monitoring_statsd"), env=env)
    statsd_receiver.clear()
    reply = server.jsonrpc(VERSION_INFO)
    assert reply.status_code == 200
    db = database
    names = {
        f"odoo.acme.prod.http_requests.jsonrpc.POST.2xx.{db}": "c",
        f"odoo.acme.prod.http_request_duration.jsonrpc.POST.2xx.{db}": "ms",
        f"odoo.acme.prod.http_request_sql_queries.jsonrpc.{db}": "ms",
        f"odoo.acme.prod.http_request_sql.jsonrpc.{db}": "ms",
    }

    def parsed(lines):
        found = {}
        for line in lines:
            name, _, rest = line.partition(":")
            number, _, kind = rest.partition("|")
            found[name] = (float(number), kind)
        return found

    lines = statsd_receiver.wait_for(lambda lines: names.keys() <= parsed(lines).keys())
    received = parsed(lines)
    for name, kind in names.items():
        assert received[name][1] == kind, lines
    assert received[next(iter(names))][0] == 1
    # Odoo's own counters, as its access line prints them.
    assert received[f"odoo.acme.prod.http_request_sql_queries.jsonrpc.{db}"][0] > 0
    assert "odoo.acme.prod.http_requests_in_flight:+1|g" in lines
    assert "odoo.acme.prod.http_requests_in_flight:-1|g" in lines


def test_statsd_with_nobody_listening_costs_nothing(odoo_server, database):
    """Compared with a server without statsd, request by request in turn: a
    send that blocked or raised would show on every request."""
    nowhere = {
        "ODOO_STATSD": "1",
        "STATSD_HOST": "127.0.0.1",
        "STATSD_PORT": str(free_port()),
        "STATSD_CUSTOMER": "acme",
        "STATSD_ENVIRONMENT": "prod",
    }
    with_statsd = odoo_server(
        database, load=("base", "web", "monitoring_statsd"), env=nowhere
    )
    without = odoo_server(database, load=("base", "web"))
    durations = {with_statsd: [], without: []}
    for _ in range(20):
        for server in durations:
            start = time.perf_counter()
            reply = server.jsonrpc(VERSION_INFO)
            durations[server].append(time.perf_counter() - start)
            assert reply.status_code == 200
    slower = sum(
        a > 3 * b + 0.05
        for a, b in zip(durations[with_statsd], durations[without], strict=True)
    )
    assert slower < 10, (statistics.median(durations[with_statsd]), durations)
    assert "Metrics sent to statsd" in with_statsd.log()
