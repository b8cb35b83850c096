"""Odoo's session store (``odoo.http.root.session_store``) and its
in-process session GC.

- :func:`install_store` puts the Redis session store in place of Odoo's
  filesystem store, lent what it needs of Odoo: the session class, the key
  functions and the session token;
- :func:`skip_session_gc` stops the two walks of ``session_dir`` Odoo makes
  to expire sessions: the ``ir.http`` autovacuum (``_gc_sessions``) and the
  filesystem store's ``vacuum`` it calls.
"""

import odoo.http
from odoo.addons.base.models.ir_http import IrHttp
from odoo.service import security


def install_store(store_class, redis_sessions, database_lifetime):
    """Keep Odoo's sessions in a ``store_class`` (``RedisSessionStore``,
    whose module session_redis imports when it needs redis) over
    ``redis_sessions``; ``database_lifetime(session, env)`` is the idle
    lifetime the session's database sets, or None."""
    # Odoo's key functions live on its filesystem store; this instance only
    # lends them and never touches a file.
    keys = odoo.http.FilesystemSessionStore(None)
    odoo.http.root.session_store = store_class(
        redis_sessions,
        session_class=odoo.http.Session,
        generate_key=keys.generate_key,
        is_valid_key=keys.is_valid_key,
        session_token=security.compute_session_token,
        database_lifetime=database_lifetime,
    )


def _skip_session_gc(*args, **kwargs):
    """Session GC is left to Redis expiry or ``odoo-cloud sessions-vacuum``."""


def skip_session_gc():
    # Not decorated with @api.autovacuum: ir.autovacuum no longer lists it.
    IrHttp._gc_sessions = _skip_session_gc
    odoo.http.FilesystemSessionStore.vacuum = _skip_session_gc
