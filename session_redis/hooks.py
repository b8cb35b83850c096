"""Put the Redis session store in place of Odoo's filesystem store.

``post_load`` runs once in the process that loads the server-wide modules:
Odoo's prefork master (whose HTTP and cron workers inherit the store; each
creates its own Redis client on first use), the threaded server, or the
gevent process. Any error there stops Odoo (:mod:`odoo_cloud.startup`):
otherwise Odoo would serve every user from ``session_dir``.
"""

import logging

import odoo.http
from odoo.tools import config as odoo_config

from odoo_cloud import config
from odoo_cloud.startup import refusing_to_start
from odoo_cloud_adapter import http
from odoo_cloud_adapter import sessions as odoo_sessions

from .unavailable import RedisUnavailable

_logger = logging.getLogger(__name__)


@refusing_to_start("session_redis")
def post_load():
    settings = config.load(
        running_env_option=odoo_config.get("running_env"), groups=("sessions",)
    )
    if not settings["ODOO_SESSION_REDIS"]:
        _logger.info("ODOO_SESSION_REDIS is off: sessions stay in session_dir")
        return
    # Imported here, not with this module: without redis, an extra of
    # odoo-cloud, the import raises MissingExtra, which stops Odoo naming the
    # extra; a module that fails to import is only logged by Odoo, which then
    # serves every user from session_dir.
    from odoo_cloud.sessions.store import RedisSessionStore, sessions_from_config

    redis_sessions = sessions_from_config(settings, unavailable_error=RedisUnavailable)
    redis_sessions.check()
    odoo_sessions.install_store(RedisSessionStore, redis_sessions, database_lifetime)
    http.ask_session_store_first()
    _logger.info("HTTP sessions stored in Redis at %s", redis_sessions.address)


def database_lifetime(session, env):
    """The ``sessions.max_inactivity_seconds`` of the session's database, read
    in the environment at hand (the one Odoo gives the cookie's lifetime
    from); None when it is unset or not a number of seconds, or when no
    environment of that database is open."""
    # Already imported by post_load, which handed this function to the store.
    from odoo_cloud.sessions.store import MAX_INACTIVITY_PARAMETER, idle_lifetime

    env = env or (odoo.http.request and odoo.http.request.env)
    if not env or env.cr._closed or env.cr.dbname != session.db:
        return None
    parameters = env["ir.config_parameter"].sudo()
    return idle_lifetime(parameters.get_param(MAX_INACTIVITY_PARAMETER))
