"""Serve ``/metrics`` and the health probes, installed by ``post_load``.

``post_load`` runs in the prefork master before it forks (the workers inherit
the sink and the hooks, and write their own files), in the threaded server,
and in the gevent process, which the master starts with the same ``--load``
and which joins the master's multiprocess directory. A misconfiguration
stops Odoo with ``SystemExit``: Odoo only logs an ordinary exception raised
while loading a server-wide module.
"""

import atexit
import functools
import logging
import math
import os

import odoo
import psycopg2

from odoo_cloud import config, health
from odoo_cloud.errors import ConfigError
from odoo_cloud.metrics import probes, prometheus, subscribe
from odoo_cloud.startup import refusing_to_start
from odoo_cloud.storage.configured import configured_stores
from odoo_cloud_adapter import http, options, servers
from odoo_cloud_adapter.sessions import is_redis_store

_logger = logging.getLogger(__name__)


@refusing_to_start("monitoring_prometheus")
def post_load():
    settings = config.load(
        running_env_option=options.running_env(), groups=("metrics",)
    )
    path, temporary = prometheus.prepare_directory(
        settings["PROMETHEUS_MULTIPROC_DIR"], joining=odoo.evented
    )
    sink = prometheus.PrometheusSink(path)
    if temporary and not odoo.evented:
        atexit.register(remove_directory, path, os.getpid())
    subscribe(sink)
    meter = http.measure_requests()
    servers.measure_workers(meter)
    endpoints = probes.Probes(
        sink,
        prometheus.MetricsAccess.from_config(settings),
        functools.partial(
            readiness_checks, settings["ODOO_HEALTH_TIMEOUT"], redis_asked(settings)
        ),
        settings["ODOO_HEALTH_TIMEOUT"],
    ).endpoints
    meter.endpoints.update(endpoints)
    probes.log_probes(settings["ODOO_LOG_PROBES"])
    port = settings["ODOO_PROMETHEUS_PORT"]
    if port and not odoo.evented:
        host = options.http_interface()
        app = functools.partial(meter, probes.not_found)
        servers.at_server_start(lambda: probes.serve(app, host, port))
    _logger.info("Prometheus metrics at /metrics, multiprocess directory %s", path)


def remove_directory(path, owner_pid):
    """At exit of the process that made the directory; forked workers run
    the same exit handlers and must leave it."""
    if os.getpid() == owner_pid:
        prometheus.remove_directory(path)


def redis_asked(settings):
    """Whether ODOO_SESSION_REDIS asks for sessions in Redis; a value that
    does not parse counts as asking (session_redis refuses it)."""
    setting = settings.settings.get("ODOO_SESSION_REDIS")
    return setting is None or setting.value


def sessions_not_in_redis():
    raise RuntimeError(
        "ODOO_SESSION_REDIS is on, but sessions are not in Redis: "
        "session_redis is not in --load"
    )


def object_store_asked():
    """Whether new attachments go to an object store; settings that do not
    parse count as asking (the check then fails on them)."""
    try:
        return bool(configured_stores(options.running_env()).write_schemes())
    except ConfigError:
        return True


def write_stores():
    """The stores readiness reaches."""
    return configured_stores(options.running_env()).write_stores(database_names())


def readiness_checks(timeout, redis_wanted):
    """The checks of this process now: the session store is replaced by
    ``session_redis``, which may load after this addon; Redis is checked
    whenever it is asked for, and fails when session_redis did not load;
    the object store, when it is asked for."""
    checks = {
        "database": health.database_check(
            functools.partial(connect, timeout=timeout), database_names()
        )
    }
    session_store = odoo.http.root.session_store
    if is_redis_store(session_store):
        checks["redis"] = session_store.sessions.check
    elif redis_wanted:
        checks["redis"] = sessions_not_in_redis
    if object_store_asked():
        checks["object_store"] = health.object_store_check(write_stores)
    return checks


def database_names():
    """The server's databases (``--database``), or PostgreSQL's maintenance
    database, which Odoo also uses to list databases."""
    return options.databases() or ["postgres"]


def connect(dbname, timeout):
    """A new connection, not one of Odoo's pool: a probe must not take a
    connection a request waits for, nor share one across a fork."""
    _, parameters = odoo.sql_db.connection_info_for(dbname)
    return psycopg2.connect(**parameters, connect_timeout=max(1, math.ceil(timeout)))
