"""The Redis session store: one hash per session identifier, expired by Redis.

A sid is 84 characters; its first 42, the *identifier*, stay the same when
the session is rotated softly and name the device it was opened from: what
a revocation deletes and what the revocation cron asks about. So the
sessions of one identifier live together, in the hash
``<prefix>:session:<identifier>``: one field per sid holding the session as
JSON, and a ``lifetime`` field, the idle lifetime in seconds that every read
and write gives the key again. Whether an identifier has a live session is
then one ``EXISTS``, and revoking a device one ``DEL``, whatever the number
of sessions stored.

:class:`RedisSessions` reads and writes session data (plain dicts); the
interface Odoo calls on its session store is put on top of it by
:mod:`odoo_cloud_adapter.session_store`.
"""

import contextlib
import hashlib
import itertools
import json
import logging
import re

from ..errors import SessionStoreUnavailable
from ..process import PerProcess
from . import EXTRA, FEATURE
from .connection import connect, describe, validate
from .outage import Outage

with EXTRA.needed_by(FEATURE):
    import redis

_logger = logging.getLogger(__name__)

# What redis-py raises when Redis cannot be reached or answer in time;
# Sentinel's MasterNotFoundError is a ConnectionError. A cluster client raises
# ClusterDownError (a ClusterError) while some slots have no master, and
# RedisClusterException when no node it knows answers. A master demoted to
# a replica answers writes READONLY (ReadOnlyError) until the address the
# store uses moves to the new master: a managed Redis' endpoint, a virtual IP
# (redis-py's Sentinel client reconnects on it by itself).
UNREACHABLE = (
    redis.ConnectionError,
    redis.TimeoutError,
    redis.exceptions.ReadOnlyError,
    redis.exceptions.ClusterError,
    redis.exceptions.RedisClusterException,
)
IDENTIFIER_LENGTH = 42
IDENTIFIER = re.compile(rf"[A-Za-z0-9_-]{{{IDENTIFIER_LENGTH}}}")
# Identifiers asked about in one pipeline (one round trip).
EXISTS_BATCH = 10_000

# Each script touches one key, so that it runs on Redis Cluster too. A read
# renews the lifetime once the key has lost a hundredth of it (a second, for
# lifetimes under 200 s): a request does not cost Redis, its append-only file
# and its replicas a write each.
READ = """
local found = redis.call('HMGET', KEYS[1], ARGV[1], 'lifetime')
if found[1] and found[2] then
  local lifetime = tonumber(found[2])
  if redis.call('TTL', KEYS[1]) < lifetime - math.floor(lifetime / 100) then
    redis.call('EXPIRE', KEYS[1], lifetime)
  end
end
return found[1]
"""
WRITE = """
if ARGV[4] == 'only-new' and redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
  return 0
end
if ARGV[4] == 'alone' then redis.call('DEL', KEYS[1]) end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], 'lifetime', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""
DELETE = """
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HLEN', KEYS[1]) <= 1 then redis.call('DEL', KEYS[1]) end
"""


class _Script:
    """A script on one key, run by its SHA1. A Redis that does not know it
    yet is sent it with EVAL, which also caches it there: redis-py's scripts
    send SCRIPT LOAD instead, to every master of a cluster, which fails the
    scripts of every key while one master is down."""

    def __init__(self, source):
        self.source = source
        self.sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()

    def __call__(self, client, key, *args):
        try:
            return client.evalsha(self.sha, 1, key, *args)
        except redis.exceptions.NoScriptError:
            return client.eval(self.source, 1, key, *args)


_READ, _WRITE, _DELETE = _Script(READ), _Script(WRITE), _Script(DELETE)


class _ReachingRedis:
    """What :meth:`RedisSessions._reaching_redis` returns: a class rather than
    a generator, since every session read and write enters one."""

    __slots__ = ("key", "sessions")

    def __init__(self, sessions, key):
        self.sessions = sessions
        self.key = key

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        sessions = self.sessions
        if error is None:
            if sessions.outage.ends(self.key):
                _logger.warning(
                    "Redis session store at %s answers again.", sessions.address
                )
            return False
        if not isinstance(error, UNREACHABLE):
            return False
        unavailable = sessions.unavailable_error(sessions.address, error)
        if sessions.outage.begins(self.key):
            _logger.error("%s; answering 503 until it answers again.", unavailable)
        raise unavailable from error


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

    def _reaching_redis(self, key=None):
        """A context that turns an unreachable Redis into ``unavailable_error``,
        logged once per outage, and logs when it answers again; ``key`` is the
        one key of the operation, by whose slot a cluster's outage is told."""
        return _ReachingRedis(self, key)

    def check(self):
        """PING with a client of its own, closed at once: the process that
        checks (Odoo's master) must not keep a socket its workers inherit.
        A cluster client already asks a node for the slots as it is built."""
        with self._reaching_redis(), contextlib.closing(self._connect()) as client:
            client.ping()

    def ping(self):
        """PING with this process's client: ``unavailable_error`` unless Redis
        answers."""
        with self._reaching_redis():
            self.client.ping()

    def key(self, sid):
        """The hash of ``sid``'s identifier (a sid or an identifier)."""
        return f"{self.prefix}{sid[:IDENTIFIER_LENGTH]}"

    def default_lifetime(self, data):
        """The idle lifetime of a session: longer once a user is logged in."""
        return self.expiration if data.get("uid") else self.expiration_anonymous

    def read(self, sid):
        """The data of session ``sid``, its lifetime renewed; None when
        missing or unreadable."""
        key = self.key(sid)
        with self._reaching_redis(key):
            raw = _READ(self.client, key, sid)
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

    def write(
        self, sid, data, lifetime=None, *, expires_in=None, only_new=False, alone=False
    ):
        """Store ``data`` as session ``sid`` in one atomic script, and give its
        identifier the idle ``lifetime`` (by default :meth:`default_lifetime`),
        which expires in ``expires_in`` seconds (by default ``lifetime``).
        ``only_new`` keeps an existing session and returns False; ``alone``
        deletes the identifier's other sessions."""
        mode = "only-new" if only_new else "alone" if alone else ""
        lifetime = int(lifetime or self.default_lifetime(data))
        args = [sid, json.dumps(data), lifetime, mode, int(expires_in or lifetime)]
        key = self.key(sid)
        with self._reaching_redis(key):
            return bool(_WRITE(self.client, key, *args))

    def delete(self, sid):
        key = self.key(sid)
        with self._reaching_redis(key):
            _DELETE(self.client, key, sid)

    def delete_identifiers(self, identifiers):
        """Delete every session of ``identifiers``."""
        keys = [self.key(identifier) for identifier in identifiers]
        if keys:
            with self._reaching_redis():
                self.client.delete(*keys)

    def missing_identifiers(self, identifiers):
        """The ``identifiers`` (a set) no stored session has, asked in batches
        of ``EXISTS_BATCH``: one round trip each."""
        identifiers = sorted(identifiers)
        missing = set()
        for start in range(0, len(identifiers), EXISTS_BATCH):
            batch = identifiers[start : start + EXISTS_BATCH]
            with self._reaching_redis():
                pipeline = self.client.pipeline(transaction=False)
                for identifier in batch:
                    pipeline.exists(self.key(identifier))
                found = pipeline.execute()
            missing.update(itertools.compress(batch, [not n for n in found]))
        return missing


def sessions_from_config(config, **options):
    """:class:`RedisSessions` as the ``sessions`` settings describe it.

    Raises :class:`~odoo_cloud.errors.ConfigError` when the settings cannot
    work together, checked here once: the clients each process connects on
    first use are built from the same settings.
    """
    validate(config)
    return RedisSessions(
        lambda: connect(config),
        prefix=config["ODOO_SESSION_REDIS_PREFIX"],
        expiration=config["ODOO_SESSION_REDIS_EXPIRATION"],
        expiration_anonymous=config["ODOO_SESSION_REDIS_EXPIRATION_ANONYMOUS"],
        address=describe(config),
        outage=Outage(cluster=config["ODOO_SESSION_REDIS_CLUSTER"]),
        **options,
    )


def is_identifier(value):
    """Whether ``value`` is 42 URL-safe characters, as a session identifier."""
    return isinstance(value, str) and IDENTIFIER.fullmatch(value) is not None
