"""The Redis session store against a real redis-server."""

import json
import logging
import time
import uuid

import pytest

from local_platform.redis_server import run_redis
from local_platform.session_store import make_store
from odoo_cloud.errors import SessionStoreUnavailable

WEEK, THREE_HOURS = 7 * 24 * 3600, 3 * 3600


def server_environ(server, **extra):
    return {
        "ODOO_SESSION_REDIS_HOST": server.host,
        "ODOO_SESSION_REDIS_PORT": str(server.port),
        "ODOO_SESSION_REDIS_PREFIX": f"test-{uuid.uuid4().hex[:8]}",
        **extra,
    }


@pytest.fixture
def environ(redis_server):
    return server_environ(redis_server)


@pytest.fixture
def store(environ):
    return make_store(environ)


@pytest.fixture
def redis(redis_server):
    with redis_server.client() as client:
        yield client


def logged_in(store, uid=2):
    session = store.new()
    session.update(uid=uid, login="admin", context={"lang": "en_US"})
    store.save(session)
    return session


def stored(redis, store, sid):
    """The JSON of session ``sid`` as Redis holds it, or None."""
    raw = redis.hget(store.sessions.key(sid), sid)
    return None if raw is None else json.loads(raw)


def test_every_method_round_trips(store, redis):
    session = store.new()
    assert session.is_new and store.is_valid_key(session.sid)
    session["context"] = {"lang": "fr_FR"}
    store.save(session)
    assert store.sessions.key(session.sid).endswith(f":session:{session.sid[:42]}")
    assert stored(redis, store, session.sid) == {"context": {"lang": "fr_FR"}}
    again = store.get(session.sid)
    assert (again.sid, dict(again), again.is_new) == (
        session.sid,
        {"context": {"lang": "fr_FR"}},
        False,
    )
    store.delete(again)
    assert redis.exists(store.sessions.key(session.sid)) == 0
    store.vacuum(max_lifetime=0)
    assert store.generate_key() != store.generate_key()


def test_ttl_follows_the_user(environ, redis):
    store = make_store(
        environ
        | {
            "ODOO_SESSION_REDIS_EXPIRATION": "5000",
            "ODOO_SESSION_REDIS_EXPIRATION_ANONYMOUS": "600",
        }
    )
    anonymous = store.new()
    anonymous["context"] = {}
    store.save(anonymous)
    user = logged_in(store)
    assert 590 <= redis.ttl(store.sessions.key(anonymous.sid)) <= 600
    assert 4990 <= redis.ttl(store.sessions.key(user.sid)) <= 5000


def test_default_ttls_are_a_week_and_three_hours(store, redis):
    anonymous = store.new()
    store.save(anonymous)
    user = logged_in(store)
    assert redis.ttl(store.sessions.key(anonymous.sid)) >= THREE_HOURS - 10
    assert redis.ttl(store.sessions.key(anonymous.sid)) <= THREE_HOURS
    assert WEEK - 10 <= redis.ttl(store.sessions.key(user.sid)) <= WEEK


def test_the_database_lifetime_applies_to_logged_in_sessions_only(environ, redis):
    asked = []

    def database_lifetime(session, env):
        asked.append((session.sid, env))
        return 30

    store = make_store(environ, database_lifetime=database_lifetime)
    anonymous = store.new()
    store.save(anonymous)
    user = logged_in(store)
    first_sid = user.sid
    assert 25 <= redis.ttl(store.sessions.key(user.sid)) <= 30
    assert redis.ttl(store.sessions.key(anonymous.sid)) > THREE_HOURS - 10
    env = object()
    store.rotate(user, env)
    assert asked == [(first_sid, None), (user.sid, env)]
    assert 25 <= redis.ttl(store.sessions.key(user.sid)) <= 30


def test_each_read_renews_the_lifetime_and_an_idle_session_expires(environ, redis):
    store = make_store(environ, database_lifetime=lambda session, env: 3)
    used, idle = logged_in(store), logged_in(store)
    for _ in range(3):  # 4.5 s in all: longer than the lifetime
        time.sleep(1.5)
        assert store.get(used.sid)["uid"] == 2
        assert redis.ttl(store.sessions.key(used.sid)) == 3
    assert store.get(idle.sid).is_new
    assert redis.exists(store.sessions.key(idle.sid)) == 0


def test_rotation_deletes_the_old_key_and_renews_the_token(store, redis):
    session = logged_in(store)
    old_sid = session.sid
    session.should_rotate = True
    store.rotate(session, env=object())
    assert session.sid != old_sid and not session.should_rotate
    assert redis.exists(store.sessions.key(old_sid)) == 0
    again = store.get(session.sid)
    assert again["uid"] == 2
    assert again["session_token"] == f"token-of-{session.sid[:8]}"
    assert WEEK - 10 <= redis.ttl(store.sessions.key(session.sid)) <= WEEK


def test_soft_rotation_keeps_the_identifier_and_the_old_sid_for_a_while(store, redis):
    """Odoo 19's rotation every three hours, as its filesystem store does it."""
    session = logged_in(store)
    old_sid = session.sid
    store.rotate(session, env=object(), soft=True)
    assert session.sid != old_sid and session.sid[:42] == old_sid[:42]
    old = store.get(old_sid)
    assert old["next_sid"] == session.sid
    assert 118 <= old["deletion_time"] - time.time() <= 120
    new = store.get(session.sid)
    assert new["gc_previous_sessions"] is True and "next_sid" not in new
    assert new["session_token"] == f"token-of-{session.sid[:8]}"

    # A request still carrying the old cookie follows the rotation done.
    late = store.get(old_sid)
    store.rotate(late, env=object(), soft=True)
    assert late.sid == session.sid

    store.delete_old_sessions(new)  # too early: both stay
    assert redis.hlen(store.sessions.key(old_sid)) == 3  # two sids, the lifetime
    new["create_time"] -= 121
    store.delete_old_sessions(new)
    assert "gc_previous_sessions" not in new
    assert store.get(old_sid).is_new
    assert store.get(session.sid)["uid"] == 2
    assert WEEK - 10 <= redis.ttl(store.sessions.key(session.sid)) <= WEEK


def test_delete_keeps_the_identifier_s_other_sessions(store, redis):
    session = logged_in(store)
    old_sid = session.sid
    store.rotate(session, env=object(), soft=True)
    store.delete(store.get(old_sid))
    assert store.get(session.sid)["uid"] == 2
    store.delete(session)
    assert redis.exists(store.sessions.key(old_sid)) == 0


def test_delete_from_identifiers_removes_exactly_the_matching_sessions(store):
    sessions = [logged_in(store) for _ in range(4)]
    revoked = [session.sid[:42] for session in sessions[:2]]
    store.delete_from_identifiers(revoked)
    left = {session.sid for session in sessions if store.get(session.sid).get("uid")}
    assert left == {sessions[2].sid, sessions[3].sid}


@pytest.mark.parametrize(
    "malformed", ["short", "*" * 42, "../" * 14, "", None], ids=repr
)
def test_delete_from_identifiers_refuses_a_malformed_identifier(store, malformed):
    """As Odoo 19 does: a string passed instead of a list, or an identifier
    that is not 42 URL-safe characters, deletes nothing."""
    session = logged_in(store)
    with pytest.raises(ValueError, match="Identifier format incorrect"):
        store.delete_from_identifiers([session.sid[:42], malformed])
    with pytest.raises(ValueError, match="Identifier format incorrect"):
        store.delete_from_identifiers(session.sid[:42])
    assert store.get(session.sid)["uid"] == 2


def test_missing_identifiers_answer_as_odoo_s_filesystem_store(store):
    """As Odoo 19's FilesystemSessionStore.get_missing_session_identifiers:
    the set of the identifiers given that no stored session starts with; an
    identifier no session can have (not 42 URL-safe characters) is missing."""
    live, rotated, deleted = (logged_in(store) for _ in range(3))
    store.rotate(rotated, env=object(), soft=True)  # the identifier stays
    store.delete(deleted)
    asked = [
        live.sid[:42],
        rotated.sid[:42],
        deleted.sid[:42],
        live.sid[:42],  # twice
        live.sid[:41],
        live.sid,
        "../" * 14,
        "",
    ]
    missing = store.get_missing_session_identifiers(asked)
    assert missing == set(asked) - {live.sid[:42], rotated.sid[:42]}
    assert store.get_missing_session_identifiers(iter(asked[:2])) == set()
    assert store.get_missing_session_identifiers([]) == set()


def test_missing_identifiers_take_one_round_trip_per_ten_thousand(
    redis_server, environ
):
    store = make_store(environ)
    client, sent = redis_server.counting_client()
    store.sessions._client._factory = lambda: client
    live = [logged_in(store) for _ in range(10)]
    asked = [session.sid[:42] for session in live]
    asked += [store.generate_key()[:42] for _ in range(25_000)]
    sent.clear()
    missing = store.get_missing_session_identifiers(asked)
    assert missing == set(asked[10:])
    assert len(sent) == 3


def test_two_stores_share_their_sessions(environ):
    first, second = make_store(environ), make_store(environ)
    session = logged_in(first)
    assert second.get(session.sid)["uid"] == 2
    second.delete(session)
    assert first.get(session.sid).sid != session.sid


def test_missing_key_gives_a_new_session(store):
    sid = store.generate_key()
    session = store.get(sid)
    assert session.is_new and session.sid != sid
    assert store.get("not-a-key").is_new


@pytest.mark.parametrize("value", [b"\x80\x04pickle", b"[1, 2]", b"{broken"])
def test_unreadable_value_gives_a_new_session_and_one_warning(
    store, redis, caplog, value
):
    sid = store.generate_key()
    redis.hset(store.sessions.key(sid), mapping={sid: value, "lifetime": 60})
    with caplog.at_level(logging.WARNING, "odoo_cloud.sessions"):
        session = store.get(sid)
    assert session.is_new and session.sid != sid
    assert [record.levelname for record in caplog.records] == ["WARNING"]
    assert sid[:8] in caplog.text and sid not in caplog.text


def test_stopped_redis_fails_fast_then_recovers_in_the_same_store(tmp_path, caplog):
    with run_redis(tmp_path) as server:
        store = make_store(
            server_environ(server, ODOO_SESSION_REDIS_CONNECT_TIMEOUT="1")
        )
        session = logged_in(store)
        server.stop()
        with caplog.at_level(logging.INFO, "odoo_cloud.sessions"):
            for _ in range(3):
                with pytest.raises(SessionStoreUnavailable) as error:
                    store.get(session.sid)
            errors = [r for r in caplog.records if r.levelno == logging.ERROR]
            assert len(errors) == 1
            assert f"127.0.0.1:{server.port}" in errors[0].getMessage()
            assert error.value.address.startswith(f"redis://127.0.0.1:{server.port}")
            server.start()  # empty: nothing is persisted
            store.save(session)
            assert store.get(session.sid)["uid"] == 2
        assert "answers again" in caplog.records[-1].getMessage()
