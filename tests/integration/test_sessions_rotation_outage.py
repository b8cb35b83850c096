"""A hard rotation (login, logout) that Redis fails in the middle of, as a
failover does: the user gets a 503 and sends the request again with the
session it had, which must still be there."""

import uuid

import pytest

from local_platform.session_store import make_store
from odoo_cloud.errors import SessionStoreUnavailable


@pytest.fixture
def store(redis_server):
    return make_store(
        {
            "ODOO_SESSION_REDIS_HOST": redis_server.host,
            "ODOO_SESSION_REDIS_PORT": str(redis_server.port),
            "ODOO_SESSION_REDIS_PREFIX": f"test-{uuid.uuid4().hex[:8]}",
        }
    )


def test_a_logout_whose_new_session_is_not_written_keeps_the_old_one(
    store, monkeypatch
):
    session = store.new()
    session.update(uid=2, login="admin")
    store.save(session)
    old_sid = session.sid

    def down(*args, **kwargs):
        raise SessionStoreUnavailable("redis", ConnectionError("Connection refused"))

    monkeypatch.setattr(store, "_write", down)
    session.clear()
    with pytest.raises(SessionStoreUnavailable):
        store.rotate(session, env=None)
    monkeypatch.undo()

    # Sent again with the old cookie: the user is still there, and logs out.
    again = store.get(old_sid)
    assert again["uid"] == 2
    again.clear()
    store.rotate(again, env=None)
    assert store.get(old_sid) == {}
    assert "uid" not in store.get(again.sid)
