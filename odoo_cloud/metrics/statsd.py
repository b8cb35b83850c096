"""statsd: the same measurements as UDP datagrams that never hold a request.

A metric is named ``<STATSD_PREFIX>.<STATSD_CUSTOMER>.<environment>.`` + its
Prometheus name without ``odoo_`` and without a ``_total``/``_seconds``
unit, then its label values in order, joined with dots:
``odoo.acme.prod.http_requests.jsonrpc.POST.2xx.mydb:1|c``. Histograms are
timers in milliseconds (the SQL query count is a timer too, so that statsd
computes its percentiles); the requests in flight are a gauge moved by
``+1``/``-1``.

Each process opens its own non-blocking socket and resolves ``STATSD_HOST``
on first use. A datagram that cannot leave (nobody listens, the buffer is
full, the name does not resolve) is dropped: monitoring must never slow down
or fail what it monitors.
"""

import contextlib
import logging
import re
import socket
import time

from ..errors import ConfigError, Problem
from ..process import PerProcess

_logger = logging.getLogger(__name__)

# How long a process waits before resolving an unresolvable STATSD_HOST again.
RESOLVE_RETRY = 60.0
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
_NAME_PART = re.compile(r"[A-Za-z0-9_.-]+")
_MAX_NAMES = 10_000


def prefix_from_config(config):
    """``<prefix>.<customer>.<environment>.``, or :class:`ConfigError`."""
    environment = config["STATSD_ENVIRONMENT"] or config.running_env
    parts = {
        "STATSD_PREFIX": config["STATSD_PREFIX"],
        "STATSD_CUSTOMER": config["STATSD_CUSTOMER"],
        "STATSD_ENVIRONMENT": environment,
    }
    problems = []
    if not parts["STATSD_CUSTOMER"]:
        problems.append(
            Problem(
                "STATSD_CUSTOMER",
                None,
                "is required with ODOO_STATSD: the project's name in every metric name",
            )
        )
    if not environment:
        problems.append(
            Problem(
                "STATSD_ENVIRONMENT (or RUNNING_ENV)",
                None,
                "is required with ODOO_STATSD: the environment in every metric name",
            )
        )
    for name, value in parts.items():
        if value and not _NAME_PART.fullmatch(value):
            problems.append(
                Problem(
                    name, repr(value), "may only hold letters, digits, '_', '-' and '.'"
                )
            )
    if problems:
        raise ConfigError(problems)
    return ".".join(parts.values()) + "."


def base_name(metric):
    """``odoo_http_requests_total`` -> ``http_requests``."""
    name = metric.name.removeprefix("odoo_")
    for unit in ("_total", "_seconds"):
        name = name.removesuffix(unit)
    return name


class Channel:
    """A non-blocking UDP socket to statsd, for one process."""

    def __init__(self, host, port):
        self.host = host
        self.port = port
        self.sock = None
        self.address = None
        self._resolve_after = 0.0

    def send(self, data):
        if self.address is None and not self._resolve():
            return
        # Nobody listening (ICMP refused) or a full buffer: the datagram is lost.
        with contextlib.suppress(OSError):
            self.sock.sendto(data, self.address)

    def _resolve(self):
        now = time.monotonic()
        if now < self._resolve_after:
            return False
        try:
            family, _, _, _, address = socket.getaddrinfo(
                self.host, self.port, type=socket.SOCK_DGRAM
            )[0]
        except OSError as error:
            self._resolve_after = now + RESOLVE_RETRY
            _logger.warning(
                "STATSD_HOST=%s does not resolve (%s): metrics are dropped; "
                "trying again in %ds",
                self.host,
                error,
                RESOLVE_RETRY,
            )
            return False
        sock = socket.socket(family, socket.SOCK_DGRAM)
        sock.setblocking(False)
        self.sock, self.address = sock, address
        return True


class StatsdSink:
    def __init__(self, host, port, prefix):
        self.prefix = prefix
        self._channel = PerProcess(lambda: Channel(host, port))
        self._names = {}

    @classmethod
    def from_config(cls, config):
        return cls(
            config["STATSD_HOST"].strip(),
            config["STATSD_PORT"],
            prefix_from_config(config),
        )

    def name(self, metric, labels):
        key = (metric.name, labels)
        name = self._names.get(key)
        if name is None:
            if len(self._names) >= _MAX_NAMES:
                self._names.clear()
            values = (_UNSAFE.sub("_", str(value)) for value in labels)
            name = self._names[key] = ".".join(
                (self.prefix + base_name(metric), *values)
            )
        return name

    def _send(self, metric, labels, value_and_type):
        line = f"{self.name(metric, labels)}:{value_and_type}"
        self._channel.get().send(line.encode("ascii"))

    def increment(self, metric, labels, amount):
        self._send(metric, labels, f"{amount}|c")

    def observe(self, metric, labels, value):
        if metric.name.endswith("_seconds"):
            value = round(value * 1000, 3)
        self._send(metric, labels, f"{value}|ms")

    def set_gauge(self, metric, labels, value):
        self._send(metric, labels, f"{value}|g")

    def adjust_gauge(self, metric, labels, delta):
        self._send(metric, labels, f"{delta:+}|g")

    def process_ended(self, pid):
        """Nothing to do: statsd keeps no state per process."""
