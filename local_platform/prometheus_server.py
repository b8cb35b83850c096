"""A real Prometheus server (Debian's ``prometheus``) scraping one target.

The fixture ``prometheus_server`` (``tests/harness``) is a factory: a test
names the target it wants scraped (``host:port``, with a bearer token if the
target asks for one) and gets a started :class:`PrometheusServer`, stopped
after the test. The server scrapes every second, evaluates the suite's alert rules
(``monitoring/prometheus-alerts.yml``) every second, keeps its data in a
temporary directory and listens on one loopback port only (it sends nothing
anywhere: no Alertmanager, no remote write).

``PrometheusServer.screenshot`` renders Prometheus' own graph page with
headless Chromium: the picture of a real run in docs/dashboard.md is taken
that way, and ``--screenshots=DIR`` (the tests' option) keeps a copy of the
one a test takes.
"""

import contextlib
import json
import os
import re
import struct
import subprocess
import tempfile
import time
import urllib.parse
import zlib
from pathlib import Path

import requests
import yaml

from .errors import ServerFailed
from .process import (
    HOST,
    RestartableServer,
    free_port,
    require_binary,
    wait_until,
)

REPO = Path(__file__).resolve().parents[1]
ALERT_RULES = REPO / "monitoring" / "prometheus-alerts.yml"
DASHBOARD = REPO / "monitoring" / "grafana-dashboard.json"
# An alert's expression is "<measure> <comparison> <threshold>"
# (monitoring/prometheus-alerts.yml says so at its top).
THRESHOLD = re.compile(r"^(?P<measure>.*?)\s*(?:[<>]=?|[=!]=)\s*[0-9.]+\s*$", re.S)
# What Grafana puts in place of $__rate_interval for a 1 s scrape interval.
RATE_INTERVAL = "1m"
JOB = "odoo"
INTERVAL = "1s"
API_TIMEOUT = 30
SCREENSHOT_SIZE = (1280, 800)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class PrometheusError(ServerFailed):
    """The HTTP API answered with an error (for instance a PromQL syntax error)."""


class PrometheusServer(RestartableServer):
    """One Prometheus with one scrape job, ``odoo``, on ``target``."""

    name = "prometheus"
    start_timeout = 60

    def __init__(self, base_dir, target, bearer_token=None, rule_files=(ALERT_RULES,)):
        self.dir = Path(base_dir)
        self.log_path = self.dir / "prometheus.log"
        self.config_path = self.dir / "prometheus.yml"
        self.target = target
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        scrape = {
            "job_name": JOB,
            "scrape_interval": INTERVAL,
            "scrape_timeout": INTERVAL,
            "static_configs": [{"targets": [target]}],
        }
        if bearer_token:
            scrape["authorization"] = {"type": "Bearer", "credentials": bearer_token}
        config = {
            "global": {"scrape_interval": INTERVAL, "evaluation_interval": INTERVAL},
            "rule_files": [str(path) for path in rule_files],
            "scrape_configs": [scrape],
        }
        self.config_path.write_text(yaml.safe_dump(config, sort_keys=False))

    def command(self):
        return [
            require_binary("prometheus"),
            f"--config.file={self.config_path}",
            f"--web.listen-address={HOST}:{self.port}",
            f"--storage.tsdb.path={self.dir / 'data'}",
        ]

    def answers(self):
        """Ready, and the target discovered: ``targets()`` lists it."""
        with contextlib.suppress(requests.RequestException):
            ready = requests.get(f"{self.url}/-/ready", timeout=2).status_code == 200
            return ready and bool(self.targets())
        return False

    def api(self, path, **params):
        """The ``data`` of a GET of ``/api/v1/<path>``; PrometheusError on error."""
        reply = requests.get(
            f"{self.url}/api/v1/{path}", params=params, timeout=API_TIMEOUT
        )
        body = reply.json()
        if body.get("status") != "success":
            raise PrometheusError(
                f"{path} {params}: {body.get('errorType')}: {body.get('error')}"
            )
        return body["data"]

    def query(self, expr, at=None):
        """The instant vector (list of ``{"metric", "value"}``) of ``expr``."""
        params = {"query": expr} | ({"time": at} if at is not None else {})
        return self.api("query", **params)["result"]

    def query_range(self, expr, start, end, step="1s"):
        """The range vector (list of ``{"metric", "values"}``) of ``expr``."""
        return self.api("query_range", query=expr, start=start, end=end, step=step)[
            "result"
        ]

    def targets(self):
        """The active targets, with their ``health`` and ``lastError``."""
        return self.api("targets", state="active")["activeTargets"]

    def rule_groups(self):
        """The loaded rule groups, each rule with its ``health`` and ``state``."""
        return self.api("rules")["groups"]

    def last_scrape_time(self):
        """Unix time of the last scrape of the target, None before the first.

        Every scrape writes the sample ``up`` stamped with its start time.
        """
        result = self.query(f'timestamp(up{{job="{JOB}"}})')
        return float(result[0]["value"][1]) if result else None

    def wait_for_scrape(self, after=None, timeout=API_TIMEOUT):
        """Wait until the target was scraped successfully after ``after``
        (Unix time, default now): what happened before is then in the data."""
        after = time.time() if after is None else after

        def scraped():
            target = self.targets()[0]
            last = self.last_scrape_time()
            return target["health"] == "up" and last is not None and last > after

        wait_until(scraped, timeout, f"a scrape of {self.target}", self.process)

    def graph_url(self, expr, range_input="5m"):
        """Prometheus' own graph page (the classic UI Debian ships) for ``expr``."""
        query = urllib.parse.urlencode(
            {"g0.expr": expr, "g0.tab": "0", "g0.range_input": range_input}
        )
        return f"{self.url}/classic/graph?{query}"

    def screenshot(self, expr, path, range_input="5m", size=SCREENSHOT_SIZE):
        """Render the graph of ``expr`` with headless Chromium into ``path``.

        A throwaway profile, nothing written to the home directory, and no
        background network traffic: the browser only talks to this server.
        """
        chromium = require_binary("chromium")
        with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
            command = [
                chromium,
                "--headless",
                "--disable-gpu",
                "--hide-scrollbars",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                f"--window-size={size[0]},{size[1]}",
                # Time for the page's own query_range call and drawing.
                "--virtual-time-budget=10000",
                f"--screenshot={path}",
                self.graph_url(expr, range_input),
            ]
            if os.geteuid() == 0:
                # Chromium refuses to run as root inside its sandbox.
                command.insert(1, "--no-sandbox")
            result = subprocess.run(
                command,
                # Its crash reports would go to ~/.config/chromium otherwise.
                env={**os.environ, "XDG_CONFIG_HOME": profile},
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
        if result.returncode or not Path(path).is_file():
            raise ServerFailed(
                f"chromium exited with {result.returncode}:\n{result.stderr[-2000:]}"
            )
        return Path(path)


def alert_rules():
    """The alerting rules of ``monitoring/prometheus-alerts.yml``, each with
    ``measure``: its expression without the threshold comparison."""
    groups = yaml.safe_load(ALERT_RULES.read_text())["groups"]
    rules = [rule for group in groups for rule in group["rules"] if "alert" in rule]
    for rule in rules:
        match = THRESHOLD.match(rule["expr"].strip())
        rule["measure"] = match["measure"] if match else None
    return rules


def dashboard_panels():
    """Every panel of the Grafana dashboard, those of collapsed rows included."""
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [panel for top in panels for panel in (top, *top.get("panels", ()))]


def dashboard_queries(**variables):
    """``(panel title, refId, expr)`` of every panel query, with the template
    variables replaced by ``variables`` (regular expressions, as Grafana puts
    multi-value selections) and ``$__rate_interval`` by ``RATE_INTERVAL``."""
    values = {"__rate_interval": RATE_INTERVAL, **variables}
    queries = []
    for panel in dashboard_panels():
        for target in panel.get("targets", ()):
            expr = re.sub(r"\$\{?(\w+)\}?", lambda m: values[m[1]], target["expr"])
            queries.append((panel["title"], target["refId"], expr))
    return queries


def png_summary(path):
    """``(width, height, variety)`` of a PNG file; ``variety`` is the number
    of distinct byte values of its pixel data: a few for a blank page, more
    than a hundred for a drawn one. Plain ``zlib``: Pillow comes with Odoo,
    and the integration tier runs without it."""
    data = Path(path).read_bytes()
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError(f"{path} is not a PNG file")
    width, height = struct.unpack(">II", data[16:24])
    compressed, offset = b"", len(PNG_SIGNATURE)
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if kind == b"IDAT":
            compressed += data[offset + 8 : offset + 8 + length]
        offset += 12 + length  # length, type, data, CRC
    return width, height, len(set(zlib.decompress(compressed)))
