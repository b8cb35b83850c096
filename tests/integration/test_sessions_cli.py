"""``odoo-cloud sessions-import`` and ``sessions-vacuum`` as an operator runs them."""

import json
import os
import subprocess
import sys
import time

from local_platform.odoo_server import clean_environ
from local_platform.process import free_port
from local_platform.session_store import generate_key

DAY = 24 * 3600


def odoo_cloud(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "odoo_cloud", *args],
        env=clean_environ(env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def write_session(directory, data, age):
    sid = generate_key()
    path = directory / sid[:2] / sid
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    then = time.time() - age
    os.utime(path, (then, then))
    return sid


def test_import_copies_live_sessions_into_redis(tmp_path, redis_server):
    live = write_session(tmp_path, {"uid": 2, "login": "admin"}, age=DAY)
    write_session(tmp_path, {"uid": 2}, age=30 * DAY)
    env = {
        "ODOO_SESSION_REDIS_HOST": redis_server.host,
        "ODOO_SESSION_REDIS_PORT": str(redis_server.port),
        "ODOO_SESSION_REDIS_PREFIX": "cli-import",
    }
    dry = odoo_cloud("sessions-import", "--dir", str(tmp_path), "--dry-run", env=env)
    assert dry.stdout == "expired 1, imported 1 (dry run)\n", dry.stderr
    # One hash per identifier (the sid's first 42 characters), a field per sid.
    key = f"cli-import:session:{live[:42]}"
    with redis_server.client() as client:
        assert client.exists(key) == 0

        done = odoo_cloud("sessions-import", "--dir", str(tmp_path), env=env)
        assert (done.returncode, done.stdout) == (0, "expired 1, imported 1\n")
        assert json.loads(client.hget(key, live)) == {"uid": 2, "login": "admin"}
        assert 5 * DAY < client.ttl(key) <= 6 * DAY

        again = odoo_cloud("sessions-import", "--dir", str(tmp_path), env=env)
        assert again.stdout == "expired 1, present 1\n"
        client.delete(key)


def test_import_says_why_it_cannot_run(tmp_path):
    bad = odoo_cloud("sessions-import", "--dir", str(tmp_path), env={
        "ODOO_SESSION_REDIS_PORT": "abc"
    })  # fmt: skip
    assert bad.returncode == 2
    assert bad.stderr.startswith("ODOO_SESSION_REDIS_PORT='abc' is not a TCP/UDP")
    write_session(tmp_path, {"uid": 2}, age=0)
    port = free_port()
    down = odoo_cloud("sessions-import", "--dir", str(tmp_path), env={
        "ODOO_SESSION_REDIS_HOST": "127.0.0.1",
        "ODOO_SESSION_REDIS_PORT": str(port),
    })  # fmt: skip
    assert down.returncode == 1
    assert f"Redis session store at redis://127.0.0.1:{port}" in down.stderr


def test_vacuum_deletes_old_sessions_only(tmp_path):
    old = write_session(tmp_path, {"uid": 2}, age=8 * DAY)
    young = write_session(tmp_path, {"uid": 2}, age=DAY)
    dry = odoo_cloud("sessions-vacuum", "--dir", str(tmp_path), "--max-age", "7d",
                     "--dry-run")  # fmt: skip
    assert dry.stdout == "kept 1, removed 1 (dry run)\n"
    done = odoo_cloud("sessions-vacuum", "--dir", str(tmp_path), "--max-age", "7d")
    assert (done.returncode, done.stdout) == (0, "kept 1, removed 1\n")
    assert not (tmp_path / old[:2] / old).exists()
    assert (tmp_path / young[:2] / young).exists()


def test_vacuum_refuses_a_bad_age_or_directory(tmp_path):
    bad_age = odoo_cloud("sessions-vacuum", "--dir", str(tmp_path), "--max-age", "0")
    assert bad_age.returncode == 2 and "is not an age such as 7d" in bad_age.stderr
    missing = odoo_cloud(
        "sessions-vacuum", "--dir", str(tmp_path / "nope"), "--max-age", "1h"
    )
    assert missing.returncode == 1 and "No such file or directory" in missing.stderr
