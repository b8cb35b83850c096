"""Odoo's session store (``odoo.http.root.session_store``) and its
in-process session GC.

- :func:`install_store` puts the Redis session store
  (:class:`.session_store.RedisSessionStore`) in place of Odoo's filesystem
  store, lent what it needs of Odoo: the session class, the key functions,
  the session token and the idle lifetime a database sets;
- :func:`skip_session_gc` stops the two walks of ``session_dir`` Odoo makes
  to expire sessions: the ``ir.http`` autovacuum (``_gc_sessions``) and the
  filesystem store's ``vacuum`` it calls.
"""

import sys

import odoo.http
from odoo.addons.base.models.ir_http import IrHttp
from odoo.service import security

# The system parameter by which an administrator sets how long an idle
# logged-in session of the database lives (Odoo gives the cookie that age).
MAX_INACTIVITY_PARAMETER = "sessions.max_inactivity_seconds"


def install_store(redis_sessions):
    """Keep Odoo's sessions in ``redis_sessions`` (a ``RedisSessions``)."""
    # Imported here, as redis is: session_gc_noop, the other user of this
    # module, does not need it.
    from .session_store import RedisSessionStore

    # Odoo's key functions live on its filesystem store; this instance only
    # lends them and never touches a file.
    keys = odoo.http.FilesystemSessionStore(None)
    odoo.http.root.session_store = RedisSessionStore(
        redis_sessions,
        session_class=odoo.http.Session,
        generate_key=keys.generate_key,
        is_valid_key=keys.is_valid_key,
        session_token=security.compute_session_token,
        database_lifetime=database_lifetime,
    )


def is_redis_store(session_store):
    """Whether ``session_store`` is a ``RedisSessionStore``, asked without
    loading redis: there is none before its module is imported."""
    module = sys.modules.get(f"{__package__}.session_store")
    return module is not None and isinstance(session_store, module.RedisSessionStore)


def database_lifetime(session, env):
    """The ``sessions.max_inactivity_seconds`` of the session's database, read
    in the environment at hand (the one Odoo gives the cookie's lifetime
    from); None when it is unset or not a number of seconds, or when no
    environment of that database is open."""
    env = env or (odoo.http.request and odoo.http.request.env)
    if not env or env.cr._closed or env.cr.dbname != session.db:
        return None
    parameters = env["ir.config_parameter"].sudo()
    return idle_lifetime(parameters.get_param(MAX_INACTIVITY_PARAMETER))


def idle_lifetime(parameter):
    """The seconds ``MAX_INACTIVITY_PARAMETER`` holds, or None when it is
    unset or not a positive whole number (Odoo then warns, and so falls back
    to the configured lifetime)."""
    try:
        seconds = int(parameter)
    except (TypeError, ValueError):
        return None
    return seconds if seconds > 0 else None


def _skip_session_gc(*args, **kwargs):
    """Session GC is left to Redis expiry or ``odoo-cloud sessions-vacuum``."""


def skip_session_gc():
    # Not decorated with @api.autovacuum: ir.autovacuum no longer lists it.
    IrHttp._gc_sessions = _skip_session_gc
    odoo.http.FilesystemSessionStore.vacuum = _skip_session_gc
