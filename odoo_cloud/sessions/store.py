"""The Redis session store: one key per session, JSON, expired by Redis.

:class:`RedisSessions` reads and writes session data (plain dicts) under
``<prefix>:session:<sid>``; :class:`RedisSessionStore` puts the interface Odoo
18 calls on ``odoo.http.root.session_store`` on top of it, with the session
class and key functions its caller (the ``session_redis`` addon) gives it.
"""

import contextlib
import json
import logging

import redis

from ..metrics import measured
from ..metrics.catalog import SESSION_STORE_DURATION, SESSION_STORE_ERRORS
from ..process import PerProcess
from .connection import connect, describe, validate
from .outage import Outage

_logger = logging.getLogger(__name__)

# What redis-py raises when Redis cannot be reached or answer in time;
# Sentinel's MasterNotFoundError is a ConnectionError.
UNREACHABLE = (redis.ConnectionError, redis.TimeoutError)


class SessionStoreUnavailable(Exception):
    """Redis did not answer: the request cannot be served (HTTP 503), but
    nothing is lost and nothing should crash."""

    def __init__(self, address, cause):
        self.address = address
        super().__init__(f"Redis session store at {address} is unreachable: {cause}")


class RedisSessions:
    """Session data in Redis, with one client per process (``connect``
    builds it)."""

    def __init__(
        self,
        connect,
        *,
        prefix,
        expiration,
        expiration_anonymous,
        address,
        unavailable_error=SessionStoreUnavailable,
        outage=None,
    ):
        self._connect = connect
        self._client = PerProcess(connect)
        self.prefix = f"{prefix}:session:"
        self.expiration = expiration
        self.expiration_anonymous = expiration_anonymous
        self.address = address
        self.unavailable_error = unavailable_error
        self.outage = outage or Outage()

    @property
    def client(self):
        return self._client.get()

    @contextlib.contextmanager
    def _reaching_redis(self):
        """Turn an unreachable Redis into ``unavailable_error``, logged once per
        outage, and log when it answers again."""
        try:
            yield
        except UNREACHABLE as error:
            unavailable = self.unavailable_error(self.address, error)
            if self.outage.begins():
                _logger.error("%s; answering 503 until it is back", unavailable)
            raise unavailable from error
        if self.outage.ends():
            _logger.warning("Redis session store at %s answers again", self.address)

    def check(self):
        """PING with a client of its own, closed at once: the process that
        checks (Odoo's master) must not keep a socket its workers inherit."""
        client = self._connect()
        try:
            with self._reaching_redis():
                client.ping()
        finally:
            client.close()

    def key(self, sid):
        return f"{self.prefix}{sid}"

    def ttl(self, data):
        """The lifetime of a session: longer once a user is logged in."""
        return self.expiration if data.get("uid") else self.expiration_anonymous

    def read(self, sid):
        """The data of session ``sid``; None when missing or unreadable."""
        with self._reaching_redis():
            raw = self.client.get(self.key(sid))
        if raw is None:
            return None
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            _logger.warning(
                "Session %s... in Redis is not a JSON object: starting a new one",
                sid[:8],
            )
            return None
        return data

    def write(self, sid, data, ttl=None, only_new=False):
        """One atomic ``SET ... EX``; with ``only_new``, keep an existing key
        and return False."""
        with self._reaching_redis():
            return bool(
                self.client.set(
                    self.key(sid),
                    json.dumps(data),
                    ex=ttl or self.ttl(data),
                    nx=only_new,
                )
            )

    def replace(self, old_sid, sid, data):
        """Write ``sid`` and delete ``old_sid`` in one round trip."""
        with self._reaching_redis():
            pipeline = self.client.pipeline(transaction=False)
            pipeline.set(self.key(sid), json.dumps(data), ex=self.ttl(data))
            pipeline.delete(self.key(old_sid))
            pipeline.execute()

    def delete(self, *sids):
        if sids:
            with self._reaching_redis():
                self.client.delete(*map(self.key, sids))

    def sids(self, start=""):
        """Every stored sid that begins with ``start``, through ``SCAN``."""
        pattern = self.key(_glob_escape(start)) + "*"
        with self._reaching_redis():
            for key in self.client.scan_iter(match=pattern, count=1000):
                yield key.decode()[len(self.prefix) :]


def _glob_escape(text):
    for special in "\\*?[]":
        text = text.replace(special, f"\\{special}")
    return text


def _measured(operation):
    return measured(SESSION_STORE_DURATION, SESSION_STORE_ERRORS, (operation,))


class RedisSessionStore:
    """Everything Odoo 18 calls on ``odoo.http.root.session_store``.

    ``session_class(data, sid, new)`` builds a session; ``session_token(session,
    env)`` computes the token of a logged-in session after its sid changed.
    """

    def __init__(
        self, sessions, *, session_class, generate_key, is_valid_key, session_token
    ):
        self.sessions = sessions
        self.session_class = session_class
        self.generate_key = generate_key
        self.is_valid_key = is_valid_key
        self.session_token = session_token

    def new(self):
        return self.session_class({}, self.generate_key(), True)

    @_measured("get")
    def get(self, sid):
        """The stored session, or a new one when it is missing or unreadable."""
        if not self.is_valid_key(sid):
            return self.new()
        data = self.sessions.read(sid)
        if data is None:
            return self.new()
        return self.session_class(data, sid, False)

    @_measured("save")
    def save(self, session):
        self.sessions.write(session.sid, dict(session))

    @_measured("delete")
    def delete(self, session):
        self.sessions.delete(session.sid)

    @_measured("rotate")
    def rotate(self, session, env):
        """Give the session a new sid (after a login or logout), as Odoo's
        filesystem store does, and drop the old key."""
        old_sid = session.sid
        session.sid = self.generate_key()
        if session.uid and env:
            session.session_token = self.session_token(session, env)
        session.should_rotate = False
        self.sessions.replace(old_sid, session.sid, dict(session))

    def vacuum(self, *args, **kwargs):
        """Nothing to do: Redis expires the keys."""

    @_measured("delete_from_identifiers")
    def delete_from_identifiers(self, identifiers):
        """Delete the sessions whose sid starts with one of ``identifiers``
        (a revoked device). Like Odoo, ignore identifiers shorter than 42
        characters, which could match other users' sessions."""
        for identifier in identifiers:
            if len(identifier) >= 42:
                self.sessions.delete(*self.sessions.sids(identifier))


def sessions_from_config(config, **options):
    """:class:`RedisSessions` as the ``sessions`` settings describe it.

    Raises :class:`~odoo_cloud.config.ConfigError` when the settings cannot
    work together; connects only on first use.
    """
    validate(config)
    return RedisSessions(
        lambda: connect(config),
        prefix=config["ODOO_SESSION_REDIS_PREFIX"],
        expiration=config["ODOO_SESSION_REDIS_EXPIRATION"],
        expiration_anonymous=config["ODOO_SESSION_REDIS_EXPIRATION_ANONYMOUS"],
        address=describe(config),
        **options,
    )
