"""Metrics and readiness against real processes and real servers: forked
processes sharing a multiprocess directory, a real Redis, a real S3 server."""

import subprocess
import sys
import textwrap

import pytest
from prometheus_client.parser import text_string_to_metric_families

from local_platform.moto_server import run_moto
from local_platform.redis_server import run_redis
from local_platform.session_store import make_store
from odoo_cloud import health
from odoo_cloud.config import load
from odoo_cloud.storage import Stores

FORKED = textwrap.dedent(
    """
    import os, signal, sys
    from odoo_cloud.metrics import catalog, prometheus, recorder

    path, _ = prometheus.prepare_directory(sys.argv[1])
    sink = prometheus.PrometheusSink(path)
    recorder.subscribe(sink)
    children = []
    for _ in range(3):
        ready, written = os.pipe()
        pid = os.fork()
        if pid == 0:
            for _ in range(5):
                recorder.increment(
                    catalog.HTTP_REQUESTS, ("jsonrpc", "POST", "2xx", "db")
                )
            recorder.adjust_gauge(catalog.HTTP_REQUESTS_IN_FLIGHT, (), 1)
            recorder.set_gauge(catalog.WORKER_MEMORY, ("http",), 1000)
            recorder.observe(catalog.SESSION_STORE_DURATION, ("get",), 0.001)
            os.write(written, b"x")
            signal.pause()  # in flight until killed
        children.append(pid)
        os.read(ready, 1)
    killed = children.pop(0)
    os.kill(killed, signal.SIGKILL)
    os.waitpid(killed, 0)
    recorder.process_ended(killed)
    print(" ".join(map(str, children)))
    sys.stdout.write(sink.exposition().decode())
    for pid in children:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    """
)


def run_python(script, *args):
    result = subprocess.run(
        [sys.executable, "-c", script, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return result


def test_forked_processes_add_up_and_a_dead_one_leaves_no_gauge(tmp_path):
    result = run_python(FORKED, tmp_path / "metrics")
    assert result.returncode == 0, result.stderr
    alive, exposition = result.stdout.split("\n", 1)
    samples = [
        sample
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    ]

    def values(name):
        return [s for s in samples if s.name == name]

    # The killed process's counts stay; its gauges are gone.
    assert [s.value for s in values("odoo_http_requests_total")] == [15]
    assert [s.value for s in values("odoo_http_requests_in_flight")] == [2]
    # A timed operation shows its error counter at 0 before its first error,
    # so that Prometheus counts that error as an increase.
    errors = values("odoo_session_store_errors_total")
    assert [(s.labels, s.value) for s in errors] == [({"operation": "get"}, 0)]
    memory = values("odoo_worker_memory_bytes")
    assert sorted(s.labels["pid"] for s in memory) == sorted(alive.split())


def test_a_scrape_skips_the_file_a_starting_process_has_not_sized_yet(tmp_path):
    # prometheus_client creates a process's file empty, then sizes it: a
    # worker that has just started leaves such a file for a moment.
    script = textwrap.dedent(
        """
        import os, sys
        from odoo_cloud.metrics import catalog, prometheus, recorder

        path, _ = prometheus.prepare_directory(sys.argv[1])
        sink = prometheus.PrometheusSink(path)
        recorder.subscribe(sink)
        recorder.increment(catalog.HTTP_REQUESTS, ("jsonrpc", "POST", "2xx", "db"))
        open(os.path.join(path, "gauge_liveall_4194304.db"), "a+b").close()
        sys.stdout.write(sink.exposition().decode())
        """
    )
    result = run_python(script, tmp_path / "metrics")
    assert result.returncode == 0, result.stderr
    samples = [
        sample
        for family in text_string_to_metric_families(result.stdout)
        for sample in family.samples
        if sample.name == "odoo_http_requests_total"
    ]
    assert [sample.value for sample in samples] == [1]


def test_prometheus_client_imported_too_early_is_refused(tmp_path):
    script = textwrap.dedent(
        """
        import sys
        import prometheus_client
        from odoo_cloud.config import ConfigError
        from odoo_cloud.metrics import prometheus

        path, _ = prometheus.prepare_directory(sys.argv[1])
        try:
            prometheus.PrometheusSink(path)
        except ConfigError as error:
            print(error)
        """
    )
    result = run_python(script, tmp_path / "metrics")
    assert result.stdout.startswith(
        "PROMETHEUS_MULTIPROC_DIR was set after prometheus_client was imported"
    ), result.stderr


@pytest.fixture
def s3_store(tmp_path):
    with run_moto(tmp_path) as moto:
        settings = load(
            {
                "AWS_HOST": moto.endpoint_url,
                "AWS_ACCESS_KEY_ID": moto.access_key_id,
                "AWS_SECRET_ACCESS_KEY": moto.secret_access_key,
                "AWS_REGION": moto.region,
                "AWS_BUCKETNAME": "acme-odoo-prod",
                "AWS_CONNECT_TIMEOUT": "1",
                "AWS_MAX_ATTEMPTS": "1",
            }
        )
        yield moto, Stores(settings).get("s3", "acme-odoo-prod")


def test_readiness_follows_redis_and_the_object_store(tmp_path, s3_store):
    moto, store = s3_store
    with run_redis(tmp_path) as redis_server:
        sessions = make_store(
            {
                "ODOO_SESSION_REDIS_HOST": redis_server.host,
                "ODOO_SESSION_REDIS_PORT": str(redis_server.port),
                "ODOO_SESSION_REDIS_CONNECT_TIMEOUT": "0.5",
            }
        ).sessions
        checks = {
            "redis": sessions.check,
            "object_store": health.object_store_check(lambda: [store]),
        }

        def components():
            ready, body = health.readiness(checks, 3)
            return ready, {name: c["status"] for name, c in body["checks"].items()}

        # The bucket does not exist yet: the store still answers.
        assert components() == (True, {"redis": "ok", "object_store": "ok"})
        moto.stop()
        redis_server.stop()
        ready, body = health.readiness(checks, 3)
        assert not ready
        assert "S3 unreachable" in body["checks"]["object_store"]["error"]
        assert "is unreachable" in body["checks"]["redis"]["error"]
        moto.start()
        assert components() == (False, {"redis": "fail", "object_store": "ok"})
        redis_server.start()
        assert components() == (True, {"redis": "ok", "object_store": "ok"})
