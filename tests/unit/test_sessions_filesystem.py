"""Importing and vacuuming Odoo 18's filesystem sessions (fakeredis)."""

import json
import os

import fakeredis
import pytest

from local_platform.session_store import generate_key
from odoo_cloud.sessions.filesystem import import_sessions, vacuum
from odoo_cloud.sessions.store import RedisSessions

NOW = 2_000_000_000
HOUR, DAY = 3600, 24 * 3600


def write_session(directory, data, age, sid=None, raw=None):
    sid = sid or generate_key()
    path = directory / sid[:2] / sid
    path.parent.mkdir(exist_ok=True)
    path.write_text(raw if raw is not None else json.dumps(data))
    os.utime(path, (NOW - age, NOW - age))
    return sid


@pytest.fixture
def sessions():
    server = fakeredis.FakeServer()
    return RedisSessions(
        lambda: fakeredis.FakeRedis(server=server),
        prefix="odoo",
        expiration=7 * DAY,
        expiration_anonymous=3 * HOUR,
        address="fake",
    )


def test_import_keeps_the_lifetime_left_and_skips_the_rest(tmp_path, sessions):
    user = write_session(tmp_path, {"uid": 2}, age=DAY)
    anonymous = write_session(tmp_path, {"uid": None}, age=HOUR)
    write_session(tmp_path, {"uid": 2}, age=8 * DAY)  # expired
    write_session(tmp_path, {}, age=4 * HOUR)  # expired anonymous
    write_session(tmp_path, None, age=0, raw="{not json")
    already = write_session(tmp_path, {"uid": 3}, age=0)
    sessions.write(already, {"uid": 4})
    (tmp_path / "ab").mkdir(exist_ok=True)
    (tmp_path / "ab" / "tmpfile.__wz_sess").write_text("{}")  # not a session

    counts = import_sessions(tmp_path, sessions, now=NOW)

    assert counts == {"imported": 2, "expired": 2, "unreadable": 1, "present": 1}
    client = sessions.client
    assert json.loads(client.hget(sessions.key(user), user)) == {"uid": 2}
    assert 6 * DAY - 5 <= client.ttl(sessions.key(user)) <= 6 * DAY
    assert 2 * HOUR - 5 <= client.ttl(sessions.key(anonymous)) <= 2 * HOUR
    assert json.loads(client.hget(sessions.key(already), already)) == {"uid": 4}
    # Used again, a session gets its whole idle lifetime back.
    assert sessions.read(user) == {"uid": 2}
    assert 7 * DAY - 5 <= client.ttl(sessions.key(user)) <= 7 * DAY


def test_import_dry_run_writes_nothing(tmp_path, sessions):
    write_session(tmp_path, {"uid": 2}, age=0)
    assert import_sessions(tmp_path, sessions, dry_run=True, now=NOW) == {"imported": 1}
    assert sessions.client.keys() == []


def test_vacuum_removes_only_old_sessions(tmp_path):
    old = write_session(tmp_path, {"uid": 2}, age=8 * DAY)
    young = write_session(tmp_path, {"uid": 2}, age=DAY)
    other = tmp_path / "notes.txt"
    other.write_text("kept")

    assert vacuum(tmp_path, 7 * DAY, dry_run=True, now=NOW) == {
        "removed": 1,
        "kept": 1,
    }
    assert (tmp_path / old[:2] / old).exists()

    assert vacuum(tmp_path, 7 * DAY, now=NOW) == {"removed": 1, "kept": 1}
    assert not (tmp_path / old[:2] / old).exists()
    assert (tmp_path / young[:2] / young).exists() and other.exists()
