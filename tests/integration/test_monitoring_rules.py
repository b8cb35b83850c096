"""The alert rules and the Grafana dashboard of ``monitoring/``, checked by
Prometheus' own tools: ``promtool`` and a real server's query parser.

That every query returns series after a real run of Odoo is shown by
tests/odoo/test_monitoring_dashboard.py.
"""

import json
import subprocess
from itertools import combinations

import pytest

from local_platform.process import free_port, require_binary, wait_until
from local_platform.prometheus_server import (
    ALERT_RULES,
    DASHBOARD,
    PrometheusError,
    alert_rules,
    dashboard_panels,
    dashboard_queries,
)

RULE_TESTS = ALERT_RULES.with_name("prometheus-alerts.test.yml")
ALERTS = (
    "OdooHighErrorRate",
    "OdooSlowRequests",
    "OdooWorkerRecycling",
    "OdooSessionStoreErrors",
    "OdooObjectStoreErrors",
)
DATASOURCE = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}


def promtool(*args):
    return subprocess.run(
        [require_binary("promtool"), *map(str, args)],
        cwd=ALERT_RULES.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_promtool_accepts_the_rules():
    result = promtool("check", "rules", ALERT_RULES)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(ALERTS)} rules found" in result.stdout


def test_each_alert_fires_on_bad_data_only():
    """promtool's unit tests: prometheus-alerts.test.yml feeds, per alert,
    series on which it must fire (labels and annotations as expected) and
    series near the threshold on which it must stay silent."""
    result = promtool("test", "rules", RULE_TESTS)
    assert result.returncode == 0, result.stdout + result.stderr
    tests = RULE_TESTS.read_text()
    for alert in ALERTS:
        assert tests.count(f"alertname: {alert}\n") >= 2, alert


def test_every_alert_is_a_measure_against_a_threshold():
    rules = alert_rules()
    assert [rule["alert"] for rule in rules] == list(ALERTS)
    for rule in rules:
        assert rule["measure"], f"{rule['alert']}: no trailing threshold comparison"
        assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
        assert {"summary", "description"} <= rule["annotations"].keys(), rule["alert"]
        assert rule["for"], rule["alert"]


def test_dashboard_is_an_importable_grafana_dashboard():
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["schemaVersion"] == 39
    assert [(i["name"], i["type"], i["pluginId"]) for i in dashboard["__inputs"]] == [
        ("DS_PROMETHEUS", "datasource", "prometheus")
    ]
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables.keys() == {"db", "instance"}
    for variable in variables.values():
        assert variable["datasource"] == DATASOURCE
        assert variable["includeAll"] and variable["allValue"] == ".*"

    panels = dashboard_panels()
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids))
    for panel in panels:
        box = panel["gridPos"]
        assert box["x"] + box["w"] <= 24, panel["title"]
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == DATASOURCE, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == DATASOURCE, panel["title"]
    for first, second in combinations(panels, 2):
        assert not overlap(first["gridPos"], second["gridPos"]), (
            first["title"],
            second["title"],
        )


def overlap(a, b):
    return (
        a["x"] < b["x"] + b["w"]
        and b["x"] < a["x"] + a["w"]
        and a["y"] < b["y"] + b["h"]
        and b["y"] < a["y"] + a["h"]
    )


def test_every_dashboard_query_and_alert_is_valid_promql(prometheus_server):
    """A real Prometheus parses and evaluates each one (no data yet: the
    target does not exist) and evaluates the rule group without error."""
    prometheus = prometheus_server(f"127.0.0.1:{free_port()}")
    with pytest.raises(PrometheusError, match="parse error"):
        prometheus.query("sum(rate(odoo_http_requests_total[1m])")
    queries = dashboard_queries(db=".*", instance=".*")
    assert len(queries) >= 20
    for title, ref, expr in queries:
        assert prometheus.query(expr) == [], f"{title} {ref}"
    for rule in alert_rules():
        assert prometheus.query(rule["measure"]) == [], rule["alert"]

    def evaluated():
        rules = [rule for group in prometheus.rule_groups() for rule in group["rules"]]
        return len(rules) == len(ALERTS) and all(
            rule["health"] == "ok" for rule in rules
        )

    wait_until(evaluated, 30, "the alert rules to be evaluated", prometheus.process)
