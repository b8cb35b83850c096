"""Where ``odoo.http`` must ask Redis although it does not call the store.

Odoo reads a session from the store only when the request carries a cookie.
A new session gets its cookie at the end of the request without being
stored, and a login checks the password, logs "Login successful" and only
then stores the session. While Redis is down, a first visit would get a page
and a cookie that every following request (its stylesheets first) answers
503 to, and a login would be logged as successful and answer 503.

So Redis must answer before a login and before a new session's cookie is
set; nothing here asks it for a route that saves no session (``/web/health``,
XML-RPC) nor for a static file. Both methods play the same role on every
supported series; their arguments differ (18.0 ``authenticate(dbname,
credential)``, 19.0 ``authenticate(env, credential)`` and
``_save_session(env=None)``) and are passed on unchanged.
"""

import functools

import odoo.http

from odoo_cloud.sessions import is_redis_store

_installed = False


def ask_redis_first():
    """Make Odoo ping the Redis session store before a login and before it
    gives a new session its cookie (once per process)."""
    global _installed
    if not _installed:
        _installed = True
        odoo.http.Session.authenticate = _pinging_first(odoo.http.Session.authenticate)
        odoo.http.Request._save_session = _pinging_for_new_cookie(
            odoo.http.Request._save_session
        )


def _ping():
    store = odoo.http.root.session_store
    if is_redis_store(store):
        store.ping()


def _pinging_first(authenticate):
    @functools.wraps(authenticate)
    def pinging_first(self, *args, **kwargs):
        _ping()
        return authenticate(self, *args, **kwargs)

    return pinging_first


def _pinging_for_new_cookie(save_session):
    @functools.wraps(save_session)
    def pinging_for_new_cookie(self, *args, **kwargs):
        # Odoo sets the cookie of a new session without storing it.
        if self.session.can_save and self.session.is_new:
            _ping()
        return save_session(self, *args, **kwargs)

    return pinging_for_new_cookie
