"""session_redis and session_gc_noop in a real odoo-bin (prefork, 2 workers)."""

import json
import os
import re
import socket
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest
import requests

from local_platform.odoo_server import REPO, run_addon_tests
from local_platform.process import free_port
from local_platform.redis_server import run_redis

LOAD = ("base", "web", "session_redis", "session_gc_noop")
WEEK = 7 * 24 * 3600
ADMIN = 2
# A JSON body larger than the sockets between the client and Odoo hold.
UPLOAD = b"{" + b" " * (8 * 1024 * 1024) + b"}"


@pytest.fixture(scope="module")
def database(odoo_database):
    """Server-wide addons are loaded, not installed: an installed addon's
    post_load would also run in every worker that loads the registry."""
    return odoo_database(["web"])


def redis_env(server, prefix=None):
    return {
        "ODOO_SESSION_REDIS": "1",
        "ODOO_SESSION_REDIS_HOST": server.host,
        "ODOO_SESSION_REDIS_PORT": str(server.port),
        "ODOO_SESSION_REDIS_PREFIX": prefix or f"test-{uuid.uuid4().hex[:8]}",
    }


def authenticate(server):
    session = server.login()
    return session.cookies["session_id"]


def uid(server, sid):
    reply = server.jsonrpc("/web/session/get_session_info", sid=sid)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    if "error" in body:
        assert body["error"]["message"] == "Odoo Session Expired", reply.text
        return None
    return body["result"]["uid"]


def test_sessions_live_in_redis_across_servers_and_restarts(
    odoo_server, database, redis_server, tmp_path
):
    env = redis_env(redis_server)
    prefix = env["ODOO_SESSION_REDIS_PREFIX"]
    data_dir = tmp_path / "data"
    args = [f"--data-dir={data_dir}"]
    first = odoo_server(database, load=LOAD, env=env, args=args)
    second = odoo_server(database, load=LOAD, env=env, args=args)

    sid = authenticate(first)
    key = f"{prefix}:session:{sid[:42]}"
    with redis_server.client() as client:
        assert WEEK - 60 <= client.ttl(key) <= WEEK
        assert uid(second, sid) == ADMIN

        first.stop()
        first.start()
        assert uid(first, sid) == ADMIN

        reply = requests.get(
            f"{first.url}/web/session/logout",
            cookies={"session_id": sid},
            allow_redirects=False,
            timeout=30,
        )
        assert reply.status_code == 303
        assert reply.cookies["session_id"] != sid
        assert client.exists(key) == 0
        assert uid(second, sid) is None
    sessions = data_dir / "sessions"
    assert not sessions.exists() or not any(sessions.iterdir())
    assert "HTTP sessions stored in Redis at redis://127.0.0.1" in first.log()


def revoke_device(server, client, identifier):
    """Revoke, from ``client``, the device of session ``identifier`` as the web
    client does: ``res.device.revoke``, then the identity check it asks for,
    confirmed with the password."""
    domain = [["session_identifier", "=", identifier]]
    found = server.call(client, "res.device", "search_read", domain, ["id"])
    [device] = found["result"]
    action = server.call(client, "res.device", "revoke", [device["id"]])["result"]
    wizard = [action["res_id"]]
    check = "res.users.identitycheck"
    # The password in the wizard (18.0) and in the context (19.0).
    server.call(client, check, "write", wizard, {"password": "admin"})
    reply = server.call(client, check, "run_check", wizard,
                        context={"password": "admin"})  # fmt: skip
    assert "error" not in reply, reply


def lands_on(server, client, path="/odoo"):
    """The path where ``client`` lands when it opens ``path``."""
    reply = client.get(f"{server.url}{path}", timeout=30)
    assert reply.status_code == 200, reply.text
    return urllib.parse.urlsplit(reply.url).path


@pytest.mark.parametrize("store", ["filesystem", "redis"])
def test_revoking_a_device_logs_that_client_out_as_odoo_does(
    odoo_server, database, redis_server, store
):
    """Plain Odoo (filesystem sessions) is the reference."""
    env = redis_env(redis_server) if store == "redis" else {}
    load = LOAD if store == "redis" else ("base", "web")
    server = odoo_server(database, load=load, env=env)
    kept, revoked = server.login(), server.login()
    sids = {name: client.cookies["session_id"] for name, client in
            (("kept", kept), ("revoked", revoked))}  # fmt: skip
    for sid in sids.values():  # an authenticated request logs the device
        assert uid(server, sid) == ADMIN

    revoke_device(server, kept, sids["revoked"][:42])

    assert lands_on(server, revoked) == "/web/login"
    assert lands_on(server, kept) == "/odoo"
    assert uid(server, sids["kept"]) == ADMIN
    if store == "redis":
        prefix = env["ODOO_SESSION_REDIS_PREFIX"]
        with redis_server.client() as client:
            assert not client.exists(f"{prefix}:session:{sids['revoked'][:42]}")
            assert client.exists(f"{prefix}:session:{sids['kept'][:42]}")


def set_max_inactivity(odoo, database, seconds):
    odoo.postgres.psql(
        "INSERT INTO ir_config_parameter (key, value) "
        f"VALUES ('sessions.max_inactivity_seconds', '{seconds}')",
        dbname=database,
    )


def test_a_database_s_session_lifetime_is_kept_by_redis(
    odoo, odoo_database, odoo_server, redis_server
):
    """sessions.max_inactivity_seconds of 3 s in one database, unset in the
    other; one Redis and one prefix for both. Threaded servers: no worker
    loading its registry for seconds between two requests of the test."""
    usual, short = odoo_database(["web"]), odoo_database(["web"])
    set_max_inactivity(odoo, short, 3)
    env = redis_env(redis_server)
    servers = {
        name: odoo_server(name, load=LOAD, env=env, workers=0)
        for name in (usual, short)
    }
    clients = {name: requests.Session() for name in servers}
    sids = {}
    for name, server in servers.items():
        params = {"db": name, "login": "admin", "password": "admin"}
        reply = server.jsonrpc("/web/session/authenticate", params, clients[name])
        assert reply.json()["result"]["uid"] == ADMIN
        sids[name] = reply.cookies["session_id"]
        max_age = re.search(r"Max-Age=(\d+)", reply.headers["Set-Cookie"])[1]
        assert int(max_age) == {short: 3, usual: WEEK}[name]

    prefix = env["ODOO_SESSION_REDIS_PREFIX"]
    with redis_server.client() as client:
        ttls = {name: client.ttl(f"{prefix}:session:{sid[:42]}")
                for name, sid in sids.items()}  # fmt: skip
    assert 0 < ttls[short] <= 3 and WEEK - 60 <= ttls[usual] <= WEEK

    for _ in range(3):  # 4.5 s of use, each request renews the session
        time.sleep(1.5)
        assert uid(servers[short], sids[short]) == ADMIN
    time.sleep(4)  # idle longer than its lifetime
    # The cookie, copied and replayed, no longer logs anybody in.
    assert uid(servers[short], sids[short]) is None
    assert uid(servers[usual], sids[usual]) == ADMIN


HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def csrf_token(page):
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]


def assert_outage_page(reply):
    """503 with the self-contained page, and no cookie."""
    assert reply.status_code == 503, reply.text
    assert "Set-Cookie" not in reply.headers
    assert reply.headers["Retry-After"] == "5"
    assert reply.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<html" in reply.text and "will be back shortly" in reply.text
    for outside in ("<script", "<link", "src="):
        assert outside not in reply.text


def sent_whole(server, path, body, sid):
    """The first bytes of the answer to a POST of ``body``, read only once
    all of it is sent."""
    host, port = server.url.removeprefix("http://").split(":")
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\n"
        f"Content-Type: application/json\r\nCookie: session_id={sid}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(head.encode() + body)
        return connection.recv(4096)


def test_redis_outage_answers_503_then_recovers(odoo_server, database, tmp_path):
    # An append-only file keeps the sessions across the Redis restart.
    with run_redis(tmp_path, config="appendonly yes\n") as redis_server:
        server = odoo_server(database, load=LOAD, env=redis_env(redis_server))
        server.wait_for_gevent()
        sid = authenticate(server)
        browser = requests.Session()
        form = browser.get(f"{server.url}/web/login", headers=HTML, timeout=30)
        credentials = {"login": "admin", "password": "admin"}
        before_outage = len(server.log())

        redis_server.stop()
        replies = [
            server.jsonrpc("/web/session/get_session_info", sid=sid) for _ in range(6)
        ]
        replies.append(
            requests.get(f"{server.url}/odoo", cookies={"session_id": sid}, timeout=30)
        )
        assert {reply.status_code for reply in replies} == {503}
        assert "session store does not answer" in replies[0].text
        # An upload, sent whole before its answer is read, as HAProxy forwards
        # it: Odoo refuses it before reading the body, which it must still
        # read, else the connection is reset under the answer.
        upload = sent_whole(server, "/web/dataset/call_kw", UPLOAD, sid)
        assert upload.startswith(b"HTTP/1.0 503 Service Unavailable\r\n")
        # A first visit, and a login from the form shown before the outage.
        for path in ("/web/login", "/odoo"):
            url = f"{server.url}{path}"
            reply = requests.get(url, headers=HTML, allow_redirects=False, timeout=30)
            assert_outage_page(reply)
        login = {**credentials, "csrf_token": csrf_token(form)}
        url = f"{server.url}/web/login"
        assert_outage_page(browser.post(url, data=login, headers=HTML, timeout=30))
        # A JSON-RPC login without a cookie: refused before the password is checked.
        rpc_login = server.jsonrpc(
            "/web/session/authenticate", {"db": database, **credentials}
        )
        assert rpc_login.status_code == 503
        assert "Set-Cookie" not in rpc_login.headers
        assert rpc_login.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert "session store does not answer" in rpc_login.text
        log = server.log()
        assert "Login successful" not in log[before_outage:]
        errors = [line for line in log.splitlines() if " ERROR " in line]
        assert len(errors) == 1, errors
        assert (
            f"Redis session store at redis://127.0.0.1:{redis_server.port} "
            "(ODOO_SESSION_REDIS_HOST, ODOO_SESSION_REDIS_PORT) is unreachable "
            "(Connection refused); answering 503 until it answers again."
        ) in errors[0]
        assert "Traceback" not in log
        assert server.process.is_running()

        redis_server.start()
        assert uid(server, sid) == ADMIN
        assert "answers again" in server.log()
        first_visit = requests.get(f"{server.url}/web/login", headers=HTML, timeout=30)
        assert first_visit.status_code == 200
        assert "session_id" in first_visit.cookies


@pytest.mark.parametrize(
    ("port", "reason"),
    [
        ("abc", "ODOO_SESSION_REDIS_PORT='abc' is not a TCP/UDP port number"),
        (None, "is unreachable"),
    ],
    ids=["not-a-port", "nobody-listens"],
)
def test_bad_port_stops_odoo_bin_with_one_line(odoo, database, port, reason):
    port = port or str(free_port())
    result = odoo.run(
        "-d", database, f"--load={','.join(LOAD)}", "--stop-after-init",
        env={
            "ODOO_SESSION_REDIS": "1",
            "ODOO_SESSION_REDIS_HOST": "127.0.0.1",
            "ODOO_SESSION_REDIS_PORT": port,
        },
        timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("session_redis: ") and reason in last, result.stderr
    if reason == "is unreachable":
        assert (
            f"127.0.0.1:{port} (ODOO_SESSION_REDIS_HOST, ODOO_SESSION_REDIS_PORT)"
            in last
        )


def old_session_file(odoo):
    """A filesystem session last saved 30 days ago, past Odoo's week."""
    sid = uuid.uuid4().hex * 2 + "A" * 20
    path = Path(odoo.data_dir, "sessions", sid[:2], sid)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"uid": ADMIN}))
    month_ago = time.time() - 30 * 24 * 3600
    os.utime(path, (month_ago, month_ago))
    return path


@pytest.mark.parametrize(
    ("load", "kept"),
    [(("base", "web", "session_gc_noop"), True), (("base", "web"), False)],
    ids=["session_gc_noop", "odoo-alone"],
)
def test_autovacuum_leaves_session_dir_alone(odoo, odoo_server, database, load, kept):
    """Filesystem sessions (no session_redis): only session_gc_noop keeps
    Odoo's autovacuum from deleting the old one."""
    path = old_session_file(odoo)
    server = odoo_server(database, load=load)
    server.run_cron("base.autovacuum_job")
    assert path.exists() is kept


def test_the_addon_s_own_tests_pass(odoo, database, redis_server):
    result = run_addon_tests(
        odoo,
        database,
        [REPO / "session_redis" / "tests"],
        env=redis_env(redis_server),
        args=["--odoo-http"],
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
