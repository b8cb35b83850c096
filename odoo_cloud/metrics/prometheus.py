"""Prometheus: one set of metrics for all the processes of an Odoo server.

Each process (prefork HTTP and cron workers, the gevent process, the master)
writes its values to its own files in prometheus_client's multiprocess
directory; a scrape, answered by any of them, merges every file. Files of a
dead process stay, so that counters never go backwards, but its live gauges
(requests in flight, memory) are removed when it is reaped.

prometheus_client chooses between in-process and multiprocess values when it
is imported, from ``PROMETHEUS_MULTIPROC_DIR``: :func:`prepare_directory`
sets the variable, and only then does :class:`PrometheusSink` import it.
It is an extra of odoo-cloud, :data:`EXTRA`.
"""

import glob
import hmac
import logging
import os
import re
import shutil
import tempfile

from ..errors import ConfigError, Problem
from ..extras import Extra
from ..variable import networks
from .catalog import ERRORS_OF, METRICS

_logger = logging.getLogger(__name__)

DIRECTORY_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# The prefork master that prepared the directory; Odoo re-executes itself on
# SIGHUP under the same pid, which is how a reload is told from a new start.
OWNER_FILE = "owner.pid"
# Marks a directory made by the suite, removed when the server stops.
TEMPORARY_FILE = "temporary"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
EXTRA = Extra("prometheus", ("prometheus_client",))
FEATURE = "the Prometheus sink"
_LIVE_GAUGE_FILE = re.compile(r"gauge_live\w+?_(\d+)\.db$")


def prepare_directory(configured, joining=False):
    """The multiprocess directory of this server, ready for its processes.

    ``configured`` is ``PROMETHEUS_MULTIPROC_DIR``; None makes a new directory
    under the system temp directory, marked temporary. The process that owns
    the server empties the directory on a fresh start, and on a reload (same
    pid, the variable inherited) only drops the live gauges of the processes
    that ended with the old server. ``joining`` is for the gevent process,
    which the prefork master starts into its own directory: it touches
    nothing. Returns the path and whether it is temporary (to be removed when
    the server stops).
    """
    path = configured or tempfile.mkdtemp(prefix="odoo-prometheus-")
    try:
        if configured is None:
            open(os.path.join(path, TEMPORARY_FILE), "w").close()
        os.makedirs(path, exist_ok=True)
        if not os.access(path, os.W_OK | os.X_OK):
            raise PermissionError("not writable")
        if not joining:
            if _owner(path) == os.getpid():
                _drop_live_gauges(path)
            else:
                for stale in glob.glob(os.path.join(path, "*.db")):
                    os.remove(stale)
                with open(os.path.join(path, OWNER_FILE), "w") as owner:
                    owner.write(str(os.getpid()))
    except OSError as error:
        raise ConfigError(
            [
                Problem(
                    DIRECTORY_VARIABLE,
                    repr(path),
                    f"is not a usable directory: {error}",
                )
            ]
        ) from None
    os.environ[DIRECTORY_VARIABLE] = path  # read by prometheus_client
    return path, os.path.exists(os.path.join(path, TEMPORARY_FILE))


def remove_directory(path):
    shutil.rmtree(path, ignore_errors=True)


def _owner(path):
    try:
        with open(os.path.join(path, OWNER_FILE)) as owner:
            return int(owner.read().strip())
    except (OSError, ValueError):
        return None


def _drop_live_gauges(path):
    with EXTRA.needed_by(FEATURE):
        from prometheus_client import multiprocess

    for name in os.listdir(path):
        match = _LIVE_GAUGE_FILE.match(name)
        if match:
            multiprocess.mark_process_dead(int(match[1]), path)


class PrometheusSink:
    """The metrics as prometheus_client objects in multiprocess mode."""

    def __init__(self, path):
        # Imported here: prepare_directory must have set the variable first.
        with EXTRA.needed_by(FEATURE):
            import prometheus_client
            from prometheus_client import multiprocess, values

        if not values.ValueClass._multiprocess:
            raise ConfigError(
                [
                    Problem(
                        DIRECTORY_VARIABLE,
                        None,
                        "was set after prometheus_client was imported: put "
                        "monitoring_prometheus first in --load",
                    )
                ]
            )
        self.path = path
        self._client = prometheus_client
        self._multiprocess = multiprocess
        self._metrics = {metric.name: self._build(metric) for metric in METRICS}
        self._counted = set()

    def _build(self, metric):
        options = {"labelnames": metric.labels, "registry": None}
        if metric.type == "histogram":
            options["buckets"] = metric.buckets
        if metric.type == "gauge":
            options["multiprocess_mode"] = metric.multiprocess_mode
        build = {
            "counter": self._client.Counter,
            "histogram": self._client.Histogram,
            "gauge": self._client.Gauge,
        }[metric.type]
        return build(metric.name, metric.help, **options)

    def _child(self, metric, labels):
        collector = self._metrics[metric.name]
        return collector.labels(*labels) if labels else collector

    def increment(self, metric, labels, amount):
        self._child(metric, labels).inc(amount)

    def observe(self, metric, labels, value):
        self._child(metric, labels).observe(value)
        errors = ERRORS_OF.get(metric.name)
        if errors is not None and (errors.name, labels) not in self._counted:
            self._counted.add((errors.name, labels))
            self._child(errors, labels)  # the series, at 0

    def set_gauge(self, metric, labels, value):
        self._child(metric, labels).set(value)

    def adjust_gauge(self, metric, labels, delta):
        self._child(metric, labels).inc(delta)

    def process_ended(self, pid):
        self._multiprocess.mark_process_dead(pid, self.path)

    def exposition(self):
        """Every process's metrics, merged, in the text format 0.0.4."""
        registry = self._client.CollectorRegistry()
        registry.register(self)
        return self._client.generate_latest(registry)

    def collect(self):
        """The merged metrics of the files that hold values.

        A process creates its file empty and sizes it a moment later; a
        scrape in between (a worker replacing a killed one, say) must skip
        it, where prometheus_client's own collector fails on it.
        """
        merge = self._multiprocess.MultiProcessCollector.merge
        return merge(list(_files_with_values(self.path)), accumulate=True)


def _files_with_values(path):
    for name in glob.glob(os.path.join(path, "*.db")):
        try:
            if os.stat(name).st_size:
                yield name
        except FileNotFoundError:  # a live gauge of a process just reaped
            continue


class MetricsAccess:
    """Who may read ``/metrics``.

    A request with ``Authorization: Bearer <token>`` when a token is set, or
    one from an address of ``allow``. Without either setting, only loopback
    is allowed. An address is the peer's, never a header's; a request that
    came through a proxy (``Forwarded``/``X-Forwarded-For``) is never allowed
    by its address, since a proxy on the same host would otherwise expose
    ``/metrics`` to whoever it serves.
    """

    LOOPBACK = ("127.0.0.0/8", "::1/128")

    def __init__(self, token=None, allow=None):
        self.token = token.encode() if token else None
        if allow is None and token is None:
            allow = networks(",".join(self.LOOPBACK))
        self.allow = allow or ()

    @classmethod
    def from_config(cls, config):
        token = config["ODOO_PROMETHEUS_TOKEN"]
        return cls(token.reveal() if token else None, config["ODOO_PROMETHEUS_ALLOW"])

    def refusal(self, environ):
        """None when allowed, else the status to answer: 401 when a token
        would be accepted, 403 otherwise."""
        proxied = "HTTP_X_FORWARDED_FOR" in environ or "HTTP_FORWARDED" in environ
        if (
            self.allow
            and not proxied
            and self.allow.include(environ.get("REMOTE_ADDR"))
        ):
            return None
        if self.token is None:
            return 403
        scheme, _, credentials = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            credentials.strip().encode(), self.token
        ):
            return None
        return 401
