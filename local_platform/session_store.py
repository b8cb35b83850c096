"""The core session store as tests and benchmarks use it, without Odoo.

Odoo's adapter layer lends the store Odoo's ``Session`` class and key
functions; here :class:`PlainSession` and :func:`generate_key` stand in for
them with the same shapes (84-character URL-safe keys, ``Session(data, sid, new)``).
"""

import base64
import os
import re

from odoo_cloud import config
from odoo_cloud.sessions.store import sessions_from_config
from odoo_cloud_adapter.session_store import RedisSessionStore

KEY = re.compile(r"^[A-Za-z0-9_-]{84}$")


class PlainSession(dict):
    """A dict with the attributes Odoo's store interface reads and sets."""

    def __init__(self, data, sid, new=False):
        super().__init__(data)
        self.sid = sid
        self.is_new = new
        self.should_rotate = False

    @property
    def uid(self):
        return self.get("uid")

    @property
    def session_token(self):
        return self.get("session_token")

    @session_token.setter
    def session_token(self, value):
        self["session_token"] = value


def generate_key(salt=None):
    return base64.urlsafe_b64encode(os.urandom(63)).decode()


def is_valid_key(key):
    return KEY.match(key) is not None


def session_token(session, env):
    return f"token-of-{session.sid[:8]}"


def make_store(environ, database_lifetime=None, **options):
    """A RedisSessionStore configured from ``environ`` (variable -> string);
    ``options`` go to its :class:`RedisSessions`."""
    settings = config.load({"ODOO_SESSION_REDIS": "1", **environ})
    return RedisSessionStore(
        sessions_from_config(settings, **options),
        session_class=PlainSession,
        generate_key=generate_key,
        is_valid_key=is_valid_key,
        session_token=session_token,
        database_lifetime=database_lifetime,
    )
