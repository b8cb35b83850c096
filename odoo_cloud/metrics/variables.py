"""The variables of metrics (monitoring_statsd, monitoring_prometheus) and
of the health probes."""

from ..variable import Variable, boolean, duration, grouped, networks, port, text

VARIABLES = grouped(
    "metrics",
    Variable(
        "ODOO_STATSD",
        boolean,
        default=False,
        help="Send request metrics to statsd (monitoring_statsd).",
    ),
    Variable(
        "STATSD_HOST",
        text,
        default="localhost",
        help="statsd host.",
    ),
    Variable(
        "STATSD_PORT",
        port,
        default=8125,
        help="statsd UDP port.",
    ),
    Variable(
        "STATSD_PREFIX",
        text,
        default="odoo",
        help="First part of every metric name.",
    ),
    Variable(
        "STATSD_CUSTOMER",
        text,
        help="Project name in metric names.",
    ),
    Variable(
        "STATSD_ENVIRONMENT",
        text,
        help="Environment in metric names; defaults to the running environment.",
    ),
    Variable(
        "PROMETHEUS_MULTIPROC_DIR",
        text,
        help="Directory of the per-process metric files; unset: a new one per "
        "server start under the system temp directory.",
    ),
    Variable(
        "ODOO_PROMETHEUS_TOKEN",
        text,
        secret=True,
        help="`/metrics` answers a request with `Authorization: Bearer <token>`.",
    ),
    Variable(
        "ODOO_PROMETHEUS_ALLOW",
        networks,
        help="Addresses or CIDRs, comma-separated, allowed on `/metrics` without "
        "the token; unset: loopback only, unless a token is set.",
    ),
    Variable(
        "ODOO_PROMETHEUS_PORT",
        port,
        help="Also serve `/metrics` and the health probes on this port.",
    ),
    Variable(
        "ODOO_LOG_PROBES",
        boolean,
        default=False,
        help="Log the access lines of the health probes and `/metrics` scrapes "
        "that succeed; those that fail are always logged.",
    ),
    Variable(
        "ODOO_HEALTH_TIMEOUT",
        duration,
        default=2.0,
        help="Seconds each readiness check (database, Redis, object store) may take.",
    ),
)


def variables():
    return VARIABLES
