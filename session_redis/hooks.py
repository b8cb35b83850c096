"""Put the Redis session store in place of Odoo's filesystem store.

``post_load`` runs once in the process that loads the server-wide modules:
Odoo's prefork master (whose HTTP and cron workers inherit the store; each
creates its own Redis client on first use), the threaded server, or the
gevent process. Any error there stops Odoo (:mod:`odoo_cloud.startup`):
otherwise Odoo would serve every user from ``session_dir``.
"""

import logging

from odoo_cloud import config
from odoo_cloud.startup import refusing_to_start
from odoo_cloud_adapter import http, options
from odoo_cloud_adapter import sessions as odoo_sessions

from .unavailable import RedisUnavailable

_logger = logging.getLogger(__name__)


@refusing_to_start("session_redis")
def post_load():
    settings = config.load(
        running_env_option=options.running_env(), groups=("sessions",)
    )
    if not settings["ODOO_SESSION_REDIS"]:
        _logger.info("ODOO_SESSION_REDIS is off: sessions stay in session_dir")
        return
    # Imported here, not with this module: without redis, an extra of
    # odoo-cloud, the import raises MissingExtra, which stops Odoo naming the
    # extra; a module that fails to import is only logged by Odoo, which then
    # serves every user from session_dir.
    from odoo_cloud.sessions.store import sessions_from_config

    redis_sessions = sessions_from_config(settings, unavailable_error=RedisUnavailable)
    redis_sessions.check()
    odoo_sessions.install_store(redis_sessions)
    http.ask_session_store_first()
    _logger.info("HTTP sessions stored in Redis at %s", redis_sessions.address)
