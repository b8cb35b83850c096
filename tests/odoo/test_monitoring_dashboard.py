"""The Grafana dashboard and the alert rules against a real run.

A prefork ``odoo-bin`` (2 HTTP workers, a cron worker) with
monitoring_prometheus, sessions in Redis and attachments in S3 (the Swift
fixture's s3api) serves pages, JSON-RPC calls, static files and attachments,
lives through a Redis outage and an object store outage, and recycles its
workers (``--limit-request``), while a real Prometheus scrapes its
``/metrics`` with the bearer token every second. The tests then put every
panel query of the dashboard and every alert's measure (its expression
without the threshold) to Prometheus' API.
"""

import base64
import math
import re
import time
import uuid
from types import SimpleNamespace

import pytest
import requests
from harness.fixtures import SCREENSHOTS_OPTION
from prometheus_client.parser import text_string_to_metric_families

from local_platform.odoo_server import servers_started
from local_platform.process import running
from local_platform.prometheus_server import (
    PrometheusServer,
    alert_rules,
    dashboard_queries,
    png_summary,
)

LOAD = ("base", "web", "session_redis", "monitoring_prometheus")
BUCKET = "odoo-monitoring-dashboard"
TOKEN = "dashboard-test-token"
# A worker is replaced after this many requests: recycles happen for real.
LIMIT_REQUEST = 40
# Normal traffic lasts this long: enough for every panel and alert measure
# (rates over 1m, a scrape every second), and, for the picture that
# `make screenshots` keeps, a curve with a shape.
TRAFFIC_SECONDS = 30
PICTURED_TRAFFIC_SECONDS = 90
# An outage lasts several scrapes, so that its error counters increase
# between two of them.
OUTAGE_SECONDS = 4
REQUEST_RATE = "sum(rate(odoo_http_requests_total[1m]))"


@pytest.fixture(scope="module")
def run(odoo, odoo_database, redis_server, swift, tmp_path_factory, pytestconfig):
    """The run described above, done once; the servers stay up for the
    tests of this module, which only read what Prometheus kept."""
    database = odoo_database(["web", "attachment_s3"])
    env = {
        "ODOO_SESSION_REDIS": "1",
        "ODOO_SESSION_REDIS_HOST": redis_server.host,
        "ODOO_SESSION_REDIS_PORT": str(redis_server.port),
        "ODOO_SESSION_REDIS_PREFIX": f"dashboard-{uuid.uuid4().hex[:8]}",
        "ODOO_PROMETHEUS_TOKEN": TOKEN,
        **swift.s3_environ(AWS_BUCKETNAME=BUCKET, AWS_MAX_ATTEMPTS="1"),
    }
    with servers_started(odoo, tmp_path_factory.mktemp("odoo-logs")) as start:
        server = start(
            database, load=LOAD, env=env, args=[f"--limit-request={LIMIT_REQUEST}"]
        )
        target = f"127.0.0.1:{server.port}"
        prometheus_dir = tmp_path_factory.mktemp("prometheus")
        with running(
            PrometheusServer(prometheus_dir, target, bearer_token=TOKEN)
        ) as prometheus:
            started = time.time()
            prometheus.wait_for_scrape()
            pictured = pytestconfig.getoption(SCREENSHOTS_OPTION)
            seconds = PICTURED_TRAFFIC_SECONDS if pictured else TRAFFIC_SECONDS
            drive(Traffic(server), redis_server, swift, seconds)
            prometheus.wait_for_scrape()
            yield SimpleNamespace(
                server=server,
                prometheus=prometheus,
                database=database,
                target=target,
                started=started,
                queries=dashboard_queries(
                    db=promql_regex(database), instance=promql_regex(target)
                ),
            )


def drive(traffic, redis_server, swift, seconds):
    """Normal traffic, a Redis outage, an object store outage, normal traffic,
    ``seconds`` of normal traffic in all."""
    traffic.call("ir.config_parameter", "set_param", "ir_attachment.location", "s3")
    attachment_id = traffic.upload()
    traffic.during(seconds / 2, lambda: traffic.round(attachment_id))

    redis_server.stop()
    try:
        traffic.during(OUTAGE_SECONDS, lambda: traffic.get("/odoo"))
    finally:
        redis_server.start()
    assert 503 in traffic.statuses
    traffic.login_again()

    swift.stop_proxy()
    try:
        traffic.during(
            OUTAGE_SECONDS, lambda: traffic.get(f"/web/content/{attachment_id}")
        )
    finally:
        swift.start_proxy()
    assert traffic.statuses[-1] == 503

    traffic.during(seconds / 2, lambda: traffic.round(traffic.upload()))


class Traffic:
    """A logged-in user and an anonymous visitor, each request of a kind."""

    def __init__(self, server):
        self.server = server
        self.session = server.login()
        self.statuses = []

    def login_again(self):
        """After Redis comes back empty, the old session is gone."""
        self.session = self.server.login()

    def get(self, path, session=None):
        reply = (session or self.session).get(f"{self.server.url}{path}", timeout=60)
        self.statuses.append(reply.status_code)
        return reply

    def call(self, model, method, *args, **kwargs):
        body = self.server.call(self.session, model, method, *args, **kwargs)
        assert "error" not in body, body
        return body["result"]

    def upload(self, size=20000):
        """A text attachment, too large to stay in the database: it goes to S3."""
        data = uuid.uuid4().bytes * (size // 16)
        datas = base64.b64encode(data).decode()
        [created] = self.call(
            "ir.attachment", "create", [{"name": "report.txt", "datas": datas}]
        )
        [record] = self.call("ir.attachment", "read", [created], ["store_fname"])
        assert record["store_fname"].startswith(f"s3://{BUCKET}/"), record
        return created

    def round(self, attachment_id):
        """One request of each kind, one 404, the health probes."""
        self.get("/web/login", session=requests)
        self.get("/odoo")
        self.call("res.partner", "search_read", [], fields=["name"], limit=5)
        self.server.jsonrpc("/web/session/get_session_info", session=self.session)
        self.get("/web/static/img/favicon.ico", session=requests)
        self.get(f"/web/content/{attachment_id}")
        self.get(f"/web/content/{attachment_id}?download=true")
        self.get("/no-such-page")
        self.get("/health/live", session=requests)
        self.get("/health/ready", session=requests)

    def during(self, seconds, action):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            action()
            time.sleep(0.2)


def exported_families(server):
    """The families of one scrape of ``/metrics``, by name."""
    reply = requests.get(
        f"{server.url}/metrics",
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=60,
    )
    assert reply.status_code == 200, reply.text
    return {
        family.name: family for family in text_string_to_metric_families(reply.text)
    }


def promql_regex(value):
    """``value`` as a regular expression inside a PromQL string, as Grafana
    writes a selected variable value (PromQL strings unescape backslashes)."""
    return re.escape(value).replace("\\", "\\\\")


def finite(result):
    return any(math.isfinite(float(sample["value"][1])) for sample in result)


def test_every_panel_query_returns_series(run):
    empty = [
        f"{title!r} {ref}: {expr}"
        for title, ref, expr in run.queries
        if not finite(run.prometheus.query(expr))
    ]
    assert not empty, "panels without series (or only NaN):\n" + "\n".join(empty)


def test_sql_panels_show_the_queries_of_json_rpc_calls(run):
    """Every JSON-RPC call of the run ran SQL queries."""
    for title in ("SQL queries per request", "SQL time per request"):
        [expr] = [e for t, ref, e in run.queries if (t, ref) == (title, "A")]
        means = {
            sample["metric"]["kind"]: float(sample["value"][1])
            for sample in run.prometheus.query(expr)
        }
        assert means["jsonrpc"] > 0, (title, means)


def test_every_alert_measure_returns_series_and_every_rule_evaluates(run):
    rules = alert_rules()
    empty = [
        f"{rule['alert']}: {rule['measure']}"
        for rule in rules
        if not finite(run.prometheus.query(rule["measure"]))
    ]
    assert not empty, "alerts without series:\n" + "\n".join(empty)
    loaded = [rule for group in run.prometheus.rule_groups() for rule in group["rules"]]
    assert {rule["name"]: rule["health"] for rule in loaded} == {
        rule["alert"]: "ok" for rule in rules
    }
    # The outages of the run were real storage errors.
    states = {rule["name"]: rule["state"] for rule in loaded}
    assert states["OdooSessionStoreErrors"] in ("pending", "firing"), states
    assert states["OdooObjectStoreErrors"] in ("pending", "firing"), states


def test_template_variables_list_the_run(run):
    for label, value in (("db", run.database), ("instance", run.target)):
        values = run.prometheus.api(
            f"label/{label}/values", **{"match[]": "odoo_http_requests_total"}
        )
        assert value in values, label


def test_every_exported_metric_is_on_a_panel(run):
    names = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", " ".join(
        expr for _title, _ref, expr in run.queries
    )))  # fmt: skip
    unshown = [
        name
        for name, family in exported_families(run.server).items()
        if name.startswith("odoo_")
        and not any(sample.name in names for sample in family.samples)
    ]
    assert not unshown, f"exported but on no panel: {unshown}"


def test_screenshot_of_the_request_rate(run, tmp_path, keep_screenshot):
    shot = run.prometheus.screenshot(
        REQUEST_RATE,
        tmp_path / "prometheus-request-rate.png",
        range_input=f"{math.ceil((time.time() - run.started) / 60)}m",
    )
    width, height, variety = png_summary(shot)
    assert (width, height) == (1280, 800)
    assert variety > 100
    keep_screenshot(shot)
