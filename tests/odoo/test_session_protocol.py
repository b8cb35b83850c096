"""Odoo's session protocol with session_redis, against plain Odoo's
filesystem store on the same tree: every scenario runs on both stores, and
what the clients see must be the same.

19.0 rotates a logged-in session every three hours: the new sid keeps the
identifier (the first 42 characters) and, for two minutes, the old session
stays, pointing to the new one, for the requests already on their way (the
websocket follows it); then the old one is deleted. Its ``res.device`` cron
marks revoked the devices whose session is gone. 18.0 does none of that, and
with the suite it must not either: the same scenarios run there.

A scenario moves a session's clock back (``create_time``, ``deletion_time``)
where the store keeps it, instead of waiting three hours.
"""

import json
import time
import uuid

import in_odoo
import pytest
import requests
import websocket
from harness.fixtures import unavailable

from local_platform.odoo_server import OdooInstance, servers_started
from local_platform.odoo_trees import configured_trees
from local_platform.process import wait_until

ADMIN = 2
ROTATION = 3 * 3600  # Odoo 19's SESSION_ROTATION_INTERVAL
GRACE = 120  # Odoo 19's SESSION_DELETION_TIMER
PROBE = "odoo_cloud/probe"


class FilesystemSessions:
    """Plain Odoo: session files in the servers' shared ``session_dir``."""

    name = "filesystem"
    load = ("base", "web")

    def __init__(self, data_dir):
        self.directory = data_dir / "sessions"
        self.env = {}

    def _path(self, sid):
        return self.directory / sid[:2] / sid

    def read(self, sid):
        path = self._path(sid)
        return json.loads(path.read_text()) if path.exists() else None

    def write(self, sid, data):
        """Atomically, as Odoo does: a process reading it meanwhile must not
        find an empty file."""
        path = self._path(sid)
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_text(json.dumps(data))
        temporary.replace(path)

    def expire(self, sid):
        """What Odoo's session GC does to a session idle too long."""
        self._path(sid).unlink()


class RedisSessions:
    """session_redis: the sessions of an identifier in one hash."""

    name = "redis"
    load = ("base", "web", "session_redis")

    def __init__(self, redis_server):
        self.prefix = f"protocol-{uuid.uuid4().hex[:8]}"
        self.client = redis_server.client()
        self.env = {
            "ODOO_SESSION_REDIS": "1",
            "ODOO_SESSION_REDIS_HOST": redis_server.host,
            "ODOO_SESSION_REDIS_PORT": str(redis_server.port),
            "ODOO_SESSION_REDIS_PREFIX": self.prefix,
        }

    def _key(self, sid):
        return f"{self.prefix}:session:{sid[:42]}"

    def read(self, sid):
        raw = self.client.hget(self._key(sid), sid)
        return None if raw is None else json.loads(raw)

    def write(self, sid, data):
        self.client.hset(self._key(sid), sid, json.dumps(data))

    def expire(self, sid):
        """Redis expiring the session at the end of its lifetime."""
        self.client.pexpire(self._key(sid), 1)
        wait_until(lambda: not self.client.exists(self._key(sid)), 5, "expiry")


class Instance:
    """An Odoo server on one of the stores, and what a scenario does with
    its sessions."""

    def __init__(self, server, sessions):
        self.server = server
        self.sessions = sessions

    def login(self):
        return self.server.login().cookies["session_id"]

    def logout(self, sid):
        reply = requests.get(f"{self.server.url}/web/session/logout",
                             cookies={"session_id": sid}, timeout=30)  # fmt: skip
        assert reply.status_code == 200, reply.text

    def info(self, sid):
        """The uid ``sid`` is logged in as (None: logged out) and the sid of
        the cookie the answer sets (None: none set)."""
        reply = self.server.jsonrpc("/web/session/get_session_info", sid=sid)
        assert reply.status_code == 200, reply.text
        body = reply.json()
        uid = body["result"]["uid"] if "result" in body else None
        return uid, reply.cookies.get("session_id")

    def shift(self, sid, field, seconds):
        """Move ``field`` of the stored session back by ``seconds``."""
        data = self.sessions.read(sid)
        data[field] = data.get(field, time.time()) - seconds
        self.sessions.write(sid, data)

    def rotate(self, sid):
        """Make ``sid`` three hours old and use it: the sid the client goes on
        with (the same where Odoo does not rotate)."""
        self.shift(sid, "create_time", ROTATION + 1)
        return self.info(sid)[1] or sid

    def end_grace(self, sid):
        """Let the grace of the rotation that made ``sid`` pass, and use it:
        Odoo 19 then deletes the session it replaced."""
        self.shift(sid, "create_time", GRACE + 1)
        return self.info(sid)[0]


def rotates_sessions(odoo):
    """Whether the tree rotates logged-in sessions (Odoo 19 and later)."""
    return "SESSION_ROTATION_INTERVAL" in (odoo.src / "odoo" / "http.py").read_text()


def cron_revokes_devices(odoo):
    """Whether the tree's res.device cron asks the store which sessions are
    gone (Odoo 19, and the 18.0 releases after the test tree's snapshot)."""
    res_device = odoo.src / "odoo" / "addons" / "base" / "models" / "res_device.py"
    return "get_missing_session_identifiers" in res_device.read_text()


@pytest.fixture(scope="module")
def database(odoo_database):
    return odoo_database(["web", "bus"])


@pytest.fixture
def instances(odoo, odoo_server, database, redis_server):
    """Factory: ``count`` servers sharing one store, on each store, plain
    Odoo's first: {store name: [Instance, ...]}."""

    def start(count=1):
        stores = (FilesystemSessions(odoo.data_dir), RedisSessions(redis_server))
        return {
            sessions.name: [Instance(serve(sessions), sessions) for _ in range(count)]
            for sessions in stores
        }

    def serve(sessions):
        return odoo_server(database, load=sessions.load, env=sessions.env, workers=0)

    return start


def rotation(first, second):
    sid = first.login()
    first.shift(sid, "create_time", ROTATION + 1)
    uid, new_sid = first.info(sid)
    new_sid = new_sid or sid
    seen = {
        "uid at the rotation": uid,
        "new sid": new_sid != sid,
        "identifier kept": new_sid[:42] == sid[:42],
        "new sid, other instance": second.info(new_sid)[0],
    }
    uid, cookie = second.info(sid)
    seen["old sid, within the grace, sent the new"] = (uid, cookie == new_sid)
    if "deletion_time" in first.sessions.read(sid):
        first.shift(sid, "deletion_time", GRACE + 1)
    seen["old sid, after the grace"] = second.info(sid)[0]
    return seen


def test_a_rotation_on_one_instance_is_followed_by_another(odoo, instances):
    seen = {name: rotation(*pair) for name, pair in instances(2).items()}
    assert seen["redis"] == seen["filesystem"]
    rotated = rotates_sessions(odoo)
    assert seen["filesystem"] == {
        "uid at the rotation": ADMIN,
        "new sid": rotated,
        "identifier kept": True,
        "new sid, other instance": ADMIN,
        "old sid, within the grace, sent the new": (ADMIN, True),
        "old sid, after the grace": None if rotated else ADMIN,
    }


def old_sessions_deleted(instance):
    sid = instance.login()
    new_sid = instance.rotate(sid)
    return {
        "uid": instance.end_grace(new_sid),
        "old session kept": instance.sessions.read(sid) is not None,
        "old sid logs in": instance.info(sid)[0],
        "new session kept": instance.sessions.read(new_sid) is not None,
    }


def test_the_sessions_a_rotation_replaced_go_after_the_grace(odoo, instances):
    seen = {name: old_sessions_deleted(one) for name, [one] in instances().items()}
    assert seen["redis"] == seen["filesystem"]
    kept = not rotates_sessions(odoo)
    assert seen["filesystem"] == {
        "uid": ADMIN,
        "old session kept": kept,
        "old sid logs in": ADMIN if kept else None,
        "new session kept": True,
    }


def served(ws):
    """Wait until Odoo has served what was sent on ``ws``: its websocket
    reads a ping, and answers it, only once it has served the messages sent
    before it."""
    ws.ping()
    answers = (websocket.ABNF.OPCODE_PONG, websocket.ABNF.OPCODE_CLOSE)
    while ws.recv_data(control_frame=True)[0] not in answers:
        pass


def notification_received(odoo, database, instance):
    """Open Odoo's websocket with a session, rotate it on HTTP and let the
    old session go, then send the user a bus notification: its payload as
    the websocket receives it, or the code it closed with."""
    sid = instance.login()
    url = instance.server.url.replace("http://", "ws://") + "/websocket"
    ws = websocket.create_connection(url, cookie=f"session_id={sid}", timeout=30)
    try:
        subscribe = {"event_name": "subscribe", "data": {"channels": [], "last": 0}}
        ws.send(json.dumps(subscribe))
        new_sid = instance.rotate(sid)
        ws.send(json.dumps(subscribe))  # the websocket reads its session again
        served(ws)
        instance.end_grace(new_sid)
        odoo.call(
            database, in_odoo.notify_admin, env=instance.sessions.env,
            notification_type=PROBE, payload={"n": 1},
        )  # fmt: skip
        while True:
            opcode, frame = ws.recv_data()
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                return f"closed {int.from_bytes(frame[:2], 'big')}"
            for notification in json.loads(frame):
                if notification["message"]["type"] == PROBE:
                    return notification["message"]["payload"]
    finally:
        ws.close()


def test_the_websocket_follows_the_rotated_session(odoo, database, instances):
    seen = {
        name: notification_received(odoo, database, one)
        for name, [one] in instances().items()
    }
    assert seen == {"filesystem": {"n": 1}, "redis": {"n": 1}}


def revoked_devices(odoo, database, instance):
    """Three devices a week idle: one still logged in, one logged out, one
    whose session expired. The devices the cron marks revoked, by name."""
    sids = {name: instance.login() for name in ("live", "logged out", "expired")}
    for sid in sids.values():  # an authenticated request logs the device
        assert instance.info(sid)[0] == ADMIN
    instance.logout(sids["logged out"])
    instance.sessions.expire(sids["expired"])
    odoo.postgres.psql(
        "UPDATE res_device_log SET last_activity = now() - interval '8 days'",
        dbname=database,
    )
    instance.server.run_cron("base.autovacuum_job")
    revoked = odoo.call(
        database, in_odoo.device_revocations, env=instance.sessions.env,
        user_id=ADMIN,
    )  # fmt: skip
    return {name for name, sid in sids.items() if revoked[sid[:42]]}


def test_the_device_cron_marks_exactly_the_devices_whose_session_is_gone(
    odoo, database, instances
):
    seen = {}
    for name, [instance] in instances().items():
        odoo.postgres.psql("DELETE FROM res_device_log", dbname=database)
        seen[name] = revoked_devices(odoo, database, instance)
    assert seen["redis"] == seen["filesystem"]
    gone = {"logged out", "expired"} if cron_revokes_devices(odoo) else set()
    assert seen["filesystem"] == gone


def trees_of_both_series():
    """The 18.0 and 19.0 trees of ODOO_SRC, their environments built."""
    trees = {
        tree.series: tree for tree in configured_trees() if not isinstance(tree, str)
    }
    if {"18.0", "19.0"} - trees.keys():
        unavailable("moving a database from 18.0 to 19.0 needs both in ODOO_SRC")
    for tree in trees.values():
        tree.check_environment()
    return trees["18.0"], trees["19.0"]


MOVED = "odoo_cloud_moved_{store}"
# What a database keeps when it moves to 19.0, that a session token depends on.
TOKEN_SOURCES = (
    "SELECT value FROM ir_config_parameter WHERE key = 'database.secret'",
    "SELECT password FROM res_users WHERE id = 2",
)


def moved_session(old, new, sessions, log_dir):
    """Log in on 18.0, then serve the same database on 19.0, as an upgrade
    leaves it (same name, secret and password hash; 19.0 recreates the rest),
    with the same store: whom the 18.0 cookie logs in on 19.0, twice."""
    database = old.install(MOVED.format(store=sessions.name), ["web"])
    with servers_started(old, log_dir) as start:
        on_18 = Instance(start(database, load=sessions.load, env=sessions.env,
                               workers=0), sessions)  # fmt: skip
        sid = on_18.login()
        assert on_18.info(sid)[0] == ADMIN
    secret, password = (
        old.postgres.psql(sql, dbname=database) for sql in TOKEN_SOURCES
    )
    old.postgres.psql(f'DROP DATABASE "{database}"')
    new.install(database, ["web"])
    new.postgres.psql(
        f"UPDATE ir_config_parameter SET value = '{secret}' "
        "WHERE key = 'database.secret'; "
        f"UPDATE res_users SET password = '{password}' WHERE id = 2",
        dbname=database,
    )
    with servers_started(new, log_dir) as start:
        on_19 = Instance(start(database, load=sessions.load, env=sessions.env,
                               workers=0), sessions)  # fmt: skip
        return [on_19.info(sid)[0] for _ in range(2)]


def test_sessions_outlive_the_move_of_a_database_from_18_to_19(
    postgres, redis_server, tmp_path
):
    """One data directory for both series: plain Odoo's session files stay
    where they were, as on a host that upgrades Odoo in place."""
    old_tree, new_tree = trees_of_both_series()
    data_dir = tmp_path / "data"
    old = OdooInstance(old_tree, postgres, data_dir)
    new = OdooInstance(new_tree, postgres, data_dir)
    stores = (FilesystemSessions(data_dir), RedisSessions(redis_server))
    seen = {s.name: moved_session(old, new, s, tmp_path) for s in stores}
    assert seen == {"filesystem": [ADMIN, ADMIN], "redis": [ADMIN, ADMIN]}
