"""The metric set, the recorder, the request meter, statsd names, access to
/metrics, the multiprocess directory and the health checks, without Odoo."""

import json
import os
import socket
import time

import fakeredis
import pytest
import redis
from moto import mock_aws

from local_platform.session_store import make_store
from odoo_cloud import health, metrics
from odoo_cloud.config import ConfigError, load
from odoo_cloud.metrics import catalog, prometheus, statsd
from odoo_cloud.metrics.http import RequestMeter, request_kind, status_class
from odoo_cloud.metrics.probes import Probes
from odoo_cloud.storage import ObjectNotFound, Stores

# The contract the exporters, the dashboard and the alert rules rely on.
CONTRACT = {
    "odoo_http_requests_total": ("counter", ("kind", "method", "status", "db")),
    "odoo_http_request_duration_seconds": (
        "histogram",
        ("kind", "method", "status", "db"),
    ),
    "odoo_http_request_sql_queries": ("histogram", ("kind", "db")),
    "odoo_http_request_sql_seconds": ("histogram", ("kind", "db")),
    "odoo_http_requests_in_flight": ("gauge", ()),
    "odoo_worker_memory_bytes": ("gauge", ("worker",)),
    "odoo_worker_recycles_total": ("counter", ("reason",)),
    "odoo_session_store_duration_seconds": ("histogram", ("operation",)),
    "odoo_session_store_errors_total": ("counter", ("operation",)),
    "odoo_object_store_duration_seconds": ("histogram", ("backend", "operation")),
    "odoo_object_store_errors_total": ("counter", ("backend", "operation")),
}


class Recording:
    """A sink that keeps every measurement."""

    def __init__(self):
        self.calls = []

    def increment(self, metric, labels, amount):
        self.calls.append(("increment", metric.name, labels, amount))

    def observe(self, metric, labels, value):
        self.calls.append(("observe", metric.name, labels, value))

    def set_gauge(self, metric, labels, value):
        self.calls.append(("set_gauge", metric.name, labels, value))

    def adjust_gauge(self, metric, labels, delta):
        self.calls.append(("adjust_gauge", metric.name, labels, delta))

    def process_ended(self, pid):
        self.calls.append(("process_ended", pid))

    def of(self, name):
        return [call for call in self.calls if call[1] == name]


@pytest.fixture
def sink():
    recording = Recording()
    metrics.subscribe(recording)
    yield recording
    metrics.unsubscribe(recording)


def test_the_catalog_is_the_contract():
    assert {m.name: (m.type, m.labels) for m in catalog.METRICS} == CONTRACT
    assert catalog.HTTP_REQUESTS_IN_FLIGHT.multiprocess_mode == "livesum"
    assert catalog.WORKER_MEMORY.multiprocess_mode == "liveall"


@pytest.mark.parametrize(
    ("method", "path", "content_type", "kind"),
    [
        ("GET", "/odoo", "", "page"),
        ("POST", "/web/login", "application/x-www-form-urlencoded", "page"),
        ("POST", "/web/dataset/call_kw", "application/json", "jsonrpc"),
        ("POST", "/jsonrpc", "", "jsonrpc"),
        ("GET", "/web/static/src/img/logo.png", "", "static"),
        ("GET", "/mail/static/src/x.js", "", "static"),
        ("GET", "/web/assets/1/web.assets_web.min.js", "", "static"),
        ("GET", "/web/content/42", "", "attachment"),
        ("GET", "/web/image/res.partner/3/avatar_128", "", "attachment"),
        ("GET", "/web/contentx", "", "page"),
        ("GET", "/websocket", "", "websocket"),
        ("GET", "/longpolling/poll", "", "websocket"),
        ("GET", "/health/ready", "", "health"),
        ("GET", "/web/health", "", "health"),
        ("GET", "/metrics", "", "metrics"),
        ("POST", "/xmlrpc/2/object", "text/xml", "other"),
        ("PUT", "/odoo", "", "other"),
    ],
)
def test_request_kinds(method, path, content_type, kind):
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "CONTENT_TYPE": content_type,
    }
    assert request_kind(environ) == kind


@pytest.mark.parametrize(
    ("status", "label"),
    [("200 OK", "2xx"), ("101 Switching", "1xx"), ("404 X", "4xx"), (None, "5xx")],
)
def test_status_classes(status, label):
    assert status_class(status) == label


def test_measured_counts_errors_but_not_expected_ones(sink):
    duration, errors = catalog.SESSION_STORE_DURATION, catalog.SESSION_STORE_ERRORS

    @metrics.measured(duration, errors, ("get",), expected=KeyError)
    def operation(error=None):
        if error:
            raise error
        return "done"

    assert operation() == "done"
    with pytest.raises(KeyError):
        operation(KeyError("missing"))
    with pytest.raises(OSError):
        operation(OSError("down"))
    assert len(sink.of(duration.name)) == 3
    assert sink.of(errors.name) == [("increment", errors.name, ("get",), 1)]


def test_measured_generator_times_the_whole_iteration(sink):
    duration, errors = catalog.OBJECT_STORE_DURATION, catalog.OBJECT_STORE_ERRORS

    @metrics.measured(duration, errors, ("s3", "list"))
    def listing(fail=False):
        yield 1
        time.sleep(0.05)
        if fail:
            raise OSError("page 2 failed")
        yield 2

    assert list(listing()) == [1, 2]
    assert sink.of(duration.name)[0][3] >= 0.05
    stopped = listing()
    next(stopped)
    stopped.close()  # the caller stopped early: no failure
    with pytest.raises(OSError):
        list(listing(fail=True))
    assert len(sink.of(duration.name)) == 3
    assert len(sink.of(errors.name)) == 1


def test_a_failing_sink_never_fails_the_caller_and_is_logged_once(sink, caplog):
    class Broken(Recording):
        def increment(self, metric, labels, amount):
            raise RuntimeError("disk full")

    broken = Broken()
    metrics.subscribe(broken)
    try:
        for _ in range(3):
            metrics.increment(catalog.WORKER_RECYCLES, ("time",))
    finally:
        metrics.unsubscribe(broken)
    assert len(sink.of(catalog.WORKER_RECYCLES.name)) == 3
    assert len([r for r in caplog.records if "disk full" in r.exc_text]) == 1


class Clock:
    def __init__(self):
        self.reads = 0

    def perf_counter(self):
        self.reads += 1
        return 0.0


def test_without_a_sink_nothing_is_measured(monkeypatch):
    clock = Clock()
    monkeypatch.setattr("odoo_cloud.metrics.recorder.time", clock)
    assert metrics.sinks() == ()
    store = make_store({}, unavailable_error=ConnectionError)
    store.sessions._client._factory = fakeredis.FakeRedis
    store.save(store.new())
    assert clock.reads == 0


def wsgi_call(app, path="/odoo", method="GET", **environ):
    environ = {"PATH_INFO": path, "REQUEST_METHOD": method, **environ}
    seen = []
    body = app(environ, lambda status, headers, exc_info=None: seen.append(status))
    data = b"".join(body)
    if hasattr(body, "close"):
        body.close()
    return seen[0] if seen else None, data


def test_the_meter_measures_each_request_once_when_it_is_closed(sink):
    thread = {"db": "prod", "queries": 7, "seconds": 0.02}
    meter = RequestMeter(counters=lambda: tuple(thread.values()))

    def odoo(environ, start_response):
        start_response("200 OK", [])
        # As Odoo's access line does once the server sends the response.
        yield b"page"
        thread.update(db=None, queries=0, seconds=0.0)

    assert wsgi_call(lambda e, s: meter(odoo, e, s)) == ("200 OK", b"page")
    labels = ("page", "GET", "2xx", "prod")
    assert sink.calls == [
        ("adjust_gauge", "odoo_http_requests_in_flight", (), 1),
        ("adjust_gauge", "odoo_http_requests_in_flight", (), -1),
        ("increment", "odoo_http_requests_total", labels, 1),
        ("observe", "odoo_http_request_duration_seconds", labels, sink.calls[3][3]),
        ("observe", "odoo_http_request_sql_queries", ("page", "prod"), 7),
        ("observe", "odoo_http_request_sql_seconds", ("page", "prod"), 0.02),
    ]


def test_the_meter_answers_its_endpoints_before_the_application(sink):
    meter = RequestMeter(counters=lambda: ("stale", 99, 9.0))

    def endpoint(environ, start_response):
        start_response("200 OK", [])
        return [b"metrics"]

    def odoo(environ, start_response):
        raise AssertionError("Odoo must not run")

    meter.endpoints["/metrics"] = endpoint
    assert wsgi_call(lambda e, s: meter(odoo, e, s), "/metrics")[1] == b"metrics"
    labels = ("metrics", "GET", "2xx", "none")
    assert ("increment", "odoo_http_requests_total", labels, 1) in sink.calls
    assert ("observe", "odoo_http_request_sql_queries", labels[::3], 0) in sink.calls


def test_a_request_that_raises_counts_as_5xx_and_leaves_no_flight(sink):
    meter = RequestMeter(counters=lambda: (None, 0, 0.0))

    def crash(environ, start_response):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        meter(crash, {"PATH_INFO": "/odoo", "REQUEST_METHOD": "BREW"}, None)
    in_flight = [c[3] for c in sink.of("odoo_http_requests_in_flight")]
    assert in_flight == [1, -1]
    labels = ("other", "other", "5xx", "none")
    assert ("increment", "odoo_http_requests_total", labels, 1) in sink.calls


def test_session_store_operations_and_errors_are_measured(sink):
    store = make_store({}, unavailable_error=ConnectionError)
    store.sessions._client._factory = fakeredis.FakeRedis
    session = store.new()
    store.save(session)
    store.get(session.sid)
    store.rotate(session, None)
    store.delete(session)
    store.sessions._client._factory = lambda: redis.Redis(
        port=1, socket_connect_timeout=0.2
    )
    store.sessions._client._pid = None
    with pytest.raises(ConnectionError):
        store.get(session.sid)
    operations = [c[2][0] for c in sink.of("odoo_session_store_duration_seconds")]
    assert operations == ["save", "get", "rotate", "delete", "get"]
    errors = sink.of("odoo_session_store_errors_total")
    assert errors == [("increment", "odoo_session_store_errors_total", ("get",), 1)]


def test_object_stores_are_measured_once_for_every_backend(sink):
    with mock_aws():
        stores = Stores(
            load(
                {
                    "AWS_ACCESS_KEY_ID": "testing",
                    "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_REGION": "us-east-1",
                    "AWS_BUCKETNAME": "acme-odoo-prod",
                }
            )
        )
        store = stores.get("s3", "acme-odoo-prod")
        store.put("ab/abc", b"data")
        assert store.exists("ab/abc")
        assert not store.exists("cd/missing")
        with pytest.raises(ObjectNotFound):
            store.get("cd/missing")
        assert list(store.list("ab/")) == ["ab/abc"]
    measured = [c[2] for c in sink.of("odoo_object_store_duration_seconds")]
    assert measured == [
        ("s3", "put"),
        ("s3", "head"),
        ("s3", "head"),
        ("s3", "get"),
        ("s3", "list"),
    ]
    # A missing object is an answer, not a failure of the store.
    assert sink.of("odoo_object_store_errors_total") == []


def statsd_config(**environ):
    return load(
        {
            "ODOO_STATSD": "1",
            "STATSD_CUSTOMER": "acme",
            "STATSD_ENVIRONMENT": "prod",
            **environ,
        }
    )


@pytest.fixture
def udp():
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(5)
    yield receiver
    receiver.close()


def test_statsd_lines_are_the_documented_names(udp):
    sink = statsd.StatsdSink("127.0.0.1", udp.getsockname()[1], "odoo.acme.prod.")
    labels = ("jsonrpc", "POST", "2xx", "my.db")
    sink.increment(catalog.HTTP_REQUESTS, labels, 1)
    sink.observe(catalog.HTTP_REQUEST_DURATION, labels, 0.0123)
    sink.observe(catalog.HTTP_REQUEST_SQL_QUERIES, ("jsonrpc", "my.db"), 7)
    sink.observe(catalog.HTTP_REQUEST_SQL_SECONDS, ("jsonrpc", "my.db"), 0.002)
    sink.adjust_gauge(catalog.HTTP_REQUESTS_IN_FLIGHT, (), 1)
    sink.adjust_gauge(catalog.HTTP_REQUESTS_IN_FLIGHT, (), -1)
    sink.set_gauge(catalog.WORKER_MEMORY, ("http",), 123456)
    sink.increment(catalog.OBJECT_STORE_ERRORS, ("s3", "put"), 1)
    received = [udp.recv(1024).decode() for _ in range(8)]
    assert received == [
        "odoo.acme.prod.http_requests.jsonrpc.POST.2xx.my_db:1|c",
        "odoo.acme.prod.http_request_duration.jsonrpc.POST.2xx.my_db:12.3|ms",
        "odoo.acme.prod.http_request_sql_queries.jsonrpc.my_db:7|ms",
        "odoo.acme.prod.http_request_sql.jsonrpc.my_db:2.0|ms",
        "odoo.acme.prod.http_requests_in_flight:+1|g",
        "odoo.acme.prod.http_requests_in_flight:-1|g",
        "odoo.acme.prod.worker_memory_bytes.http:123456|g",
        "odoo.acme.prod.object_store_errors.s3.put:1|c",
    ]


def test_statsd_prefix_falls_back_on_the_running_environment():
    config = statsd_config(STATSD_ENVIRONMENT="", RUNNING_ENV="integration")
    assert statsd.prefix_from_config(config) == "odoo.acme.integration."


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"STATSD_CUSTOMER": ""}, "STATSD_CUSTOMER is required with ODOO_STATSD"),
        ({"STATSD_ENVIRONMENT": ""}, "STATSD_ENVIRONMENT (or RUNNING_ENV) is"),
        ({"STATSD_CUSTOMER": "a|b"}, "STATSD_CUSTOMER='a|b' may only hold"),
    ],
)
def test_statsd_settings_are_checked(environ, message):
    with pytest.raises(ConfigError) as error:
        statsd.prefix_from_config(statsd_config(**environ))
    assert any(str(p).startswith(message) for p in error.value.problems), error.value


def test_statsd_port_must_be_a_port():
    with pytest.raises(ConfigError, match=r"STATSD_PORT='x' is not a TCP/UDP port"):
        load({"STATSD_PORT": "x"})


def test_statsd_never_raises_nor_blocks(caplog):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as closed:
        closed.bind(("127.0.0.1", 0))
        nobody = closed.getsockname()[1]
    for host, port in (("127.0.0.1", nobody), ("no-such-host.invalid", 8125)):
        sink = statsd.StatsdSink(host, port, "odoo.acme.prod.")
        for _ in range(1000):  # ICMP refusals come back on later sends
            sink.increment(catalog.HTTP_REQUESTS, ("page", "GET", "2xx", "db"), 1)
    unresolved = [r for r in caplog.records if "no-such-host.invalid" in r.message]
    assert len(unresolved) == 1  # then no new lookup for RESOLVE_RETRY seconds


def test_metrics_allow_list_is_checked():
    allow = load({"ODOO_PROMETHEUS_ALLOW": "10.0.0.0/8, 192.168.1.5,::1"})
    assert str(allow["ODOO_PROMETHEUS_ALLOW"]) == "10.0.0.0/8,192.168.1.5/32,::1/128"
    with pytest.raises(ConfigError, match=r"ODOO_PROMETHEUS_ALLOW='10\.0\.0\.0/33'"):
        load({"ODOO_PROMETHEUS_ALLOW": "10.0.0.0/33"})


@pytest.mark.parametrize(
    ("environ", "request_environ", "refusal"),
    [
        ({}, {"REMOTE_ADDR": "127.0.0.1"}, None),
        ({}, {"REMOTE_ADDR": "::1"}, None),
        ({}, {"REMOTE_ADDR": "10.1.2.3"}, 403),
        ({}, {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "1.2.3.4"}, 403),
        ({"ODOO_PROMETHEUS_TOKEN": "s3cret"}, {"REMOTE_ADDR": "127.0.0.1"}, 401),
        (
            {"ODOO_PROMETHEUS_TOKEN": "s3cret"},
            {"REMOTE_ADDR": "10.1.2.3", "HTTP_AUTHORIZATION": "Bearer s3cret"},
            None,
        ),
        (
            {"ODOO_PROMETHEUS_TOKEN": "s3cret"},
            {"REMOTE_ADDR": "10.1.2.3", "HTTP_AUTHORIZATION": "Bearer nope"},
            401,
        ),
        ({"ODOO_PROMETHEUS_ALLOW": "10.0.0.0/8"}, {"REMOTE_ADDR": "10.1.2.3"}, None),
        ({"ODOO_PROMETHEUS_ALLOW": "10.0.0.0/8"}, {"REMOTE_ADDR": "127.0.0.1"}, 403),
        (
            {"ODOO_PROMETHEUS_ALLOW": "10.0.0.0/8", "ODOO_PROMETHEUS_TOKEN": "s"},
            {"REMOTE_ADDR": "172.16.0.1", "HTTP_AUTHORIZATION": "Bearer s"},
            None,
        ),
    ],
)
def test_who_may_read_metrics(environ, request_environ, refusal):
    access = prometheus.MetricsAccess.from_config(load(environ))
    assert access.refusal(request_environ) == refusal


def test_refusals_say_nothing_more(sink):
    class Exposition:
        def exposition(self):
            raise AssertionError("never read for a refused request")

    access = prometheus.MetricsAccess(token="s3cret")
    probes = Probes(Exposition(), access, dict, 1.0)
    status, body = wsgi_call(probes.metrics, "/metrics", REMOTE_ADDR="127.0.0.1")
    assert (status, body) == ("401 Unauthorized", b"Unauthorized\n")
    status, _ = wsgi_call(probes.metrics, "/metrics", method="POST")
    assert status == "405 Method Not Allowed"


@pytest.fixture
def directory_variable(monkeypatch):
    """prepare_directory sets PROMETHEUS_MULTIPROC_DIR: unset it afterwards."""
    monkeypatch.setenv(prometheus.DIRECTORY_VARIABLE, "")


def db_files(path):
    return sorted(name for name in os.listdir(path) if name.endswith(".db"))


@pytest.mark.usefixtures("directory_variable")
def test_a_fresh_start_empties_the_directory_and_a_reload_keeps_counters(tmp_path):
    directory = tmp_path / "metrics"
    directory.mkdir()
    for name in ("counter_11.db", "gauge_livesum_11.db", "gauge_liveall_12.db"):
        (directory / name).write_bytes(b"")
    path, temporary = prometheus.prepare_directory(str(directory))
    assert (path, temporary) == (str(directory), False)
    assert db_files(directory) == []
    assert os.environ[prometheus.DIRECTORY_VARIABLE] == str(directory)
    assert (directory / prometheus.OWNER_FILE).read_text() == str(os.getpid())

    # A reload: the same pid prepares the directory again.
    for name in ("counter_21.db", "gauge_livesum_21.db", "gauge_liveall_22.db"):
        (directory / name).write_bytes(b"")
    prometheus.prepare_directory(str(directory))
    assert db_files(directory) == ["counter_21.db"]

    # The gevent process joins the master's directory and touches nothing.
    (directory / "gauge_livesum_21.db").write_bytes(b"")
    prometheus.prepare_directory(str(directory), joining=True)
    assert db_files(directory) == ["counter_21.db", "gauge_livesum_21.db"]


@pytest.mark.usefixtures("directory_variable")
def test_without_a_directory_a_temporary_one_is_made(monkeypatch, tmp_path):
    monkeypatch.setattr(prometheus.tempfile, "tempdir", str(tmp_path))
    path, temporary = prometheus.prepare_directory(None)
    assert temporary and path.startswith(str(tmp_path))
    # A reload finds the variable set to it, and keeps it temporary.
    assert prometheus.prepare_directory(path) == (path, True)
    prometheus.remove_directory(path)
    assert not os.path.exists(path)


def test_an_unusable_directory_names_the_variable(tmp_path):
    taken = tmp_path / "file"
    taken.write_text("")
    with pytest.raises(ConfigError) as error:
        prometheus.prepare_directory(str(taken / "metrics"))
    assert str(error.value.problems[0]).startswith(f"PROMETHEUS_MULTIPROC_DIR='{taken}")


def test_readiness_reports_each_component_and_its_latency():
    def down():
        raise ConnectionError("Redis at 127.0.0.1:1 is unreachable")

    ready, body = health.readiness({"database": lambda: None, "redis": down}, 2)
    assert not ready
    assert body["status"] == "fail"
    assert body["checks"]["database"]["status"] == "ok"
    assert "error" not in body["checks"]["database"]
    assert body["checks"]["redis"]["status"] == "fail"
    assert body["checks"]["redis"]["error"] == "Redis at 127.0.0.1:1 is unreachable"
    assert all(c["latency_ms"] >= 0 for c in body["checks"].values())
    assert health.readiness({"database": lambda: None}, 2)[0]


def test_a_check_that_hangs_fails_at_the_timeout():
    ready, body = health.readiness({"object_store": lambda: time.sleep(5)}, 0.2)
    assert not ready
    assert body["checks"]["object_store"] == {
        "status": "fail",
        "latency_ms": 200.0,
        "error": "no answer within 0.2s",
    }


def test_building_the_object_stores_is_not_timed():
    """A process's first build imports the backend's library, which under
    load takes longer than a probe's timeout: only the HEAD is timed."""

    class Store:
        def exists(self, key):
            assert key == ".health"

    def build_slowly():
        time.sleep(0.5)
        return [Store()]

    check = health.object_store_check(build_slowly)
    assert health.readiness({"object_store": check}, 0.2)[0]


def test_the_database_check_names_the_database():
    class Connection:
        def __init__(self, dbname):
            if dbname == "broken":
                raise OSError("connection refused")
            self.executed = []

        def cursor(self):
            return self

        def execute(self, query):
            assert query == "SELECT 1"

        def fetchone(self):
            return (1,)

        def close(self):
            pass

    health.database_check(Connection, ["prod"])()
    with pytest.raises(RuntimeError, match="database 'broken': connection refused"):
        health.database_check(Connection, ["prod", "broken"])()


def test_probe_bodies_are_json(sink):
    access = prometheus.MetricsAccess()
    probes = Probes(None, access, lambda: {"database": lambda: None}, 1.0)
    status, body = wsgi_call(probes.ready, "/health/ready")
    assert status == "200 OK"
    assert body.startswith(b'{"status": "ok", "checks": {"database": {"status": "ok"')
    status, body = wsgi_call(probes.live, "/health/live", method="HEAD")
    assert (status, body) == ("200 OK", b"")


def test_readiness_tells_why_only_to_who_may_read_metrics():
    def redis_down():
        raise OSError("redis://10.0.0.5:6379 is unreachable")

    access = prometheus.MetricsAccess(token="s3cret")
    probes = Probes(None, access, lambda: {"redis": redis_down}, 1.0)
    outsider = {"REMOTE_ADDR": "203.0.113.9"}
    status, body = wsgi_call(probes.ready, "/health/ready", **outsider)
    assert status == "503 Service Unavailable"
    assert json.loads(body)["checks"]["redis"].keys() == {"status", "latency_ms"}
    status, body = wsgi_call(
        probes.ready, "/health/ready", **outsider, HTTP_AUTHORIZATION="Bearer s3cret"
    )
    assert status == "503 Service Unavailable"
    assert json.loads(body)["checks"]["redis"]["error"] == (
        "redis://10.0.0.5:6379 is unreachable"
    )
