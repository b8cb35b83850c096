"""The Redis session store against a real redis-server."""

import json
import logging
import uuid

import pytest
from harness.redis_server import run_redis
from harness.session_store import make_store

from odoo_cloud.sessions import SessionStoreUnavailable

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


def test_every_method_round_trips(store, redis):
    session = store.new()
    assert session.is_new and store.is_valid_key(session.sid)
    session["context"] = {"lang": "fr_FR"}
    store.save(session)
    assert json.loads(redis.get(store.sessions.key(session.sid))) == {
        "context": {"lang": "fr_FR"}
    }
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


def test_rotation_deletes_the_old_key_and_renews_the_token(store, redis):
    session = logged_in(store)
    old_sid = session.sid
    session.should_rotate = True
    store.rotate(session, env=object())
    assert session.sid != old_sid and not session.should_rotate
    assert redis.exists(store.sessions.key(old_sid)) == 0
    stored = store.get(session.sid)
    assert stored["uid"] == 2
    assert stored["session_token"] == f"token-of-{session.sid[:8]}"
    assert WEEK - 10 <= redis.ttl(store.sessions.key(session.sid)) <= WEEK


def test_delete_from_identifiers_removes_exactly_the_matching_sessions(store):
    sessions = [logged_in(store) for _ in range(4)]
    revoked = [session.sid[:42] for session in sessions[:2]]
    store.delete_from_identifiers([*revoked, sessions[2].sid[:41], "*", ""])
    left = {session.sid for session in sessions if store.get(session.sid).get("uid")}
    assert left == {sessions[2].sid, sessions[3].sid}


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
    redis.set(store.sessions.key(sid), value)
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
