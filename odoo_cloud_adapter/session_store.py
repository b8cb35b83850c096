"""Odoo's session-store protocol over the Redis session store.

:class:`RedisSessionStore` is everything Odoo calls on
``odoo.http.root.session_store``, in the newest release of every supported
series: 18.0 calls a part of it; 19.0 adds soft rotation (a new sid with the
same identifier every few hours, the old session kept a grace period for the
requests already sent with it) and the ``res.device`` revocations by
identifier. It imports nothing of Odoo: :mod:`.sessions` lends it Odoo's
session class, key functions and session token, and the tests lend it
stand-ins of the same shapes.
"""

import time

from odoo_cloud.metrics import measured
from odoo_cloud.metrics.catalog import SESSION_STORE_DURATION, SESSION_STORE_ERRORS
from odoo_cloud.sessions.store import IDENTIFIER_LENGTH, is_identifier

# As Odoo 19's http.SESSION_DELETION_TIMER: how long the sessions a soft
# rotation replaced stay usable, for the requests already sent with them.
ROTATED_SESSION_GRACE = 120


def _measured(operation):
    return measured(SESSION_STORE_DURATION, SESSION_STORE_ERRORS, (operation,))


class RedisSessionStore:
    """Everything Odoo calls on ``odoo.http.root.session_store``, in the newest
    release of every supported series (Odoo 18 calls a part of it).

    ``session_class(data, sid, new)`` builds a session; ``session_token(session,
    env)`` computes the token of a logged-in session after its sid changed;
    ``database_lifetime(session, env)``, when given, is the idle lifetime the
    session's database sets for logged-in sessions, or None for the
    configured one.
    """

    def __init__(
        self,
        sessions,
        *,
        session_class,
        generate_key,
        is_valid_key,
        session_token,
        database_lifetime=None,
    ):
        self.sessions = sessions
        self.session_class = session_class
        self.generate_key = generate_key
        self.is_valid_key = is_valid_key
        self.session_token = session_token
        self.database_lifetime = database_lifetime

    def new(self):
        return self.session_class({}, self.generate_key(), True)

    @_measured("ping")
    def ping(self):
        """Raise unless Redis answers: Odoo does not ask the store before it
        gives a new session its cookie or logs a user in (``session_redis``
        asks it then)."""
        self.sessions.ping()

    @_measured("get")
    def get(self, sid):
        """The stored session, or a new one when it is missing or unreadable."""
        if not self.is_valid_key(sid):
            return self.new()
        data = self.sessions.read(sid)
        if data is None:
            return self.new()
        return self.session_class(data, sid, False)

    def _write(self, session, env=None, alone=False):
        lifetime = None
        if session.uid and self.database_lifetime:
            lifetime = self.database_lifetime(session, env)
        self.sessions.write(session.sid, dict(session), lifetime, alone=alone)

    @_measured("save")
    def save(self, session):
        self._write(session)

    @_measured("delete")
    def delete(self, session):
        self.sessions.delete(session.sid)

    @_measured("rotate")
    def rotate(self, session, env, soft=False):
        """Give the session a new sid, as Odoo's filesystem store does.

        A hard rotation (login, logout) drops the old session. A soft one
        (Odoo 19, every few hours) keeps the identifier, and keeps the old
        session for ``ROTATED_SESSION_GRACE`` seconds, pointing to its
        successor, for the requests already sent with it; a request that finds
        the old session already rotated by another one follows it.
        """
        replaced = None
        if soft:
            static = session.sid[:IDENTIFIER_LENGTH]
            recent = self.sessions.read(session.sid) or {}
            if "next_sid" in recent:
                session.sid = recent["next_sid"]
                return
            next_sid = static + self.generate_key()[IDENTIFIER_LENGTH:]
            session["next_sid"] = next_sid
            session["deletion_time"] = time.time() + ROTATED_SESSION_GRACE
            self._write(session, env)
            session["gc_previous_sessions"] = True
            session.sid = next_sid
            del session["deletion_time"]
            del session["next_sid"]
        else:
            replaced, session.sid = session.sid, self.generate_key()
        if session.uid and env:
            session.session_token = self.session_token(session, env)
        session.should_rotate = False
        session["create_time"] = time.time()
        self._write(session, env)
        # Deleted once its successor is written: when Redis fails in between
        # (a failover), the request answers 503 and the old session is still
        # there for the user who sends it again (a logout is done then).
        if replaced:
            self.sessions.delete(replaced)

    def delete_old_sessions(self, session):
        """Once the grace of a soft rotation is over, drop the sessions it
        replaced (Odoo 19 asks at each authenticated request)."""
        if (
            "gc_previous_sessions" in session
            and session["create_time"] + ROTATED_SESSION_GRACE < time.time()
        ):
            self._keep_alone(session)

    @_measured("delete_old_sessions")
    def _keep_alone(self, session):
        del session["gc_previous_sessions"]
        self._write(session, alone=True)

    def vacuum(self, *args, **kwargs):
        """Nothing to do: Redis expires the keys."""

    @_measured("delete_from_identifiers")
    def delete_from_identifiers(self, identifiers):
        """Delete every session of ``identifiers`` (revoked devices). As Odoo,
        refuse an identifier that is not 42 URL-safe characters: it could be a
        string passed instead of a list, or match other users' sessions."""
        identifiers = list(identifiers)
        if not all(map(is_identifier, identifiers)):
            raise ValueError(
                "Identifier format incorrect, did you pass in a string instead "
                "of a list?"
            )
        self.sessions.delete_identifiers(identifiers)

    @_measured("get_missing_session_identifiers")
    def get_missing_session_identifiers(self, identifiers):
        """The ``identifiers`` that no stored session has (the set the
        ``res.device`` cron marks revoked); one that is not a well-formed
        identifier is missing, as no session can have it."""
        identifiers = set(identifiers)
        valid = set(filter(is_identifier, identifiers))
        return (identifiers - valid) | self.sessions.missing_identifiers(valid)
