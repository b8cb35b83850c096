"""``make run``: the whole platform on this machine, to try it out.

Starts PostgreSQL, Redis and an OpenStack Swift all-in-one (whose S3 API
holds the attachments) on loopback, creates a database with the suite
installed on the first run, then serves Odoo from ``ODOO_SRC`` with the
server-wide addons loaded, until Ctrl-C (or SIGTERM) stops everything it
started. Every server keeps its data in ``.run/``, so the next run finds the
same database, sessions and files.

The servers are those of the test harness (``tests/harness``), started the
way the tests start them.

``make run-check`` (``--check``) checks a running platform end to end: it
logs in, uploads a file, and finds the session in Redis, the object in the
store, the request's JSON log line and the request in ``/metrics``.
"""

import sys
from pathlib import Path

# The servers come from the test harness; odoo_cloud from this checkout, even
# when the venv was installed from another.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import base64
import contextlib
import fcntl
import json
import os
import secrets
import signal
import subprocess
import threading
import time
import uuid

import boto3
import botocore.config
import botocore.exceptions
import pytest
import redis
import requests
from harness.odoo_server import OdooInstance, OdooServer
from harness.odoo_trees import SUPPORTED_SERIES, usable_tree
from harness.postgres_server import PostgresCluster, run_as_postgres
from harness.process import free_port, port_is_open, running
from harness.redis_server import RedisServer
from harness.swift_server import run_swift
from prometheus_client.parser import text_string_to_metric_families

from odoo_cloud.sessions.store import IDENTIFIER_LENGTH

REPO = Path(__file__).resolve().parents[1]
RUN_DIR = REPO / ".run"
STATE_PATH = RUN_DIR / "platform.json"
LOG_PATH = RUN_DIR / "odoo.log"
DATABASE = "odoo"
LOGIN = PASSWORD = "admin"  # noqa: S105 - Odoo's own, of a new database
# `<project>-odoo-<env>`, as cloud_platform expects outside dev too.
BUCKET = SESSION_PREFIX = "platform-odoo-dev"
MODULES = ("web", "base_attachment_object_storage", "attachment_s3", "cloud_platform")
# Loaded after the tree's own server-wide modules (base and web; 19.0 adds rpc).
SUITE_LOAD = (
    "session_redis",
    "session_gc_noop",
    "logging_json",
    "monitoring_prometheus",
)
ODOO_PORT = 8069
READY = "The platform is ready"
TIMEOUT = 60

# cloud_platform's installation: in dev, attachments go to the object store
# that is configured, and the existing ones are moved there.
INSTALL_STORAGE = """\
import json
location = env["cloud.platform"].install()
env.cr.commit()
print(json.dumps(location))
"""


class Output:
    """Our messages and Odoo's log lines, whole lines on stdout, flushed at
    once so that a pipe (the test) sees them as they come."""

    def __init__(self):
        self.lock = threading.Lock()

    def write(self, text):
        with self.lock:
            sys.stdout.write(text)
            sys.stdout.flush()

    def say(self, what, detail):
        self.write(f"  {what:<9} {detail}\n")

    def follow(self, path, stop):
        """Copy the lines appended to ``path`` until ``stop`` is set."""
        with open(path, "rb") as log:
            log.seek(0, os.SEEK_END)
            while not stop.is_set():
                line = log.readline()
                if line.endswith(b"\n"):
                    self.write(line.decode(errors="replace"))
                else:
                    # Half a line: read it again once Odoo has written it all.
                    log.seek(-len(line), os.SEEK_CUR)
                    stop.wait(0.2)


def stop_on(signum, frame):
    """Stop as on Ctrl-C, whichever signal asks."""
    raise KeyboardInterrupt


def odoo_tree():
    """The first tree of ``ODOO_SRC``, its environment built; else exit with
    one line saying what to do."""
    try:
        return usable_tree()
    except ValueError as error:
        series = SUPPORTED_SERIES[-1]
        sys.exit(
            f"make run: {error}. Build the environment of an Odoo source tree "
            f"and serve it: make setup run ODOO_SRC=/path/to/odoo (git clone "
            f"--depth 1 --branch {series} https://github.com/odoo/odoo "
            "/path/to/odoo)."
        )


def main():
    tree = odoo_tree()
    RUN_DIR.mkdir(exist_ok=True)
    # Held until we exit.
    lock = open(RUN_DIR / ".lock", "w")  # noqa: SIM115
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        sys.exit(f"make run: another make run is already using {RUN_DIR}.")
    # SIGINT too: a script's shell starts a background job with SIGINT
    # ignored, and `kill -INT` must still stop everything. A SIGHUP that
    # nohup ignores stays ignored.
    signal.signal(signal.SIGINT, stop_on)
    signal.signal(signal.SIGTERM, stop_on)
    if signal.getsignal(signal.SIGHUP) != signal.SIG_IGN:
        signal.signal(signal.SIGHUP, stop_on)
    output = Output()
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        try:
            serve(tree, output, stack, started)
        except KeyboardInterrupt:
            output.write("\nStopping Odoo, Swift, Redis and PostgreSQL...\n")
        except (pytest.skip.Exception, pytest.fail.Exception) as missing:
            # The harness skips a test when a server binary is missing.
            sys.exit(f"make run: {missing.msg}")
        except (RuntimeError, TimeoutError) as failed:
            # A server that did not start, with the end of its log.
            sys.exit(f"make run: {failed}")
        finally:
            # A second Ctrl-C must not cut the stopping short.
            for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                signal.signal(signum, signal.SIG_IGN)
            STATE_PATH.unlink(missing_ok=True)
    output.write(f"Stopped; the data stays in {RUN_DIR} for the next make run.\n")


def serve(tree, output, stack, started):
    """Start everything (stopped by ``stack``), then wait for Odoo to exit."""
    output.write(f"Starting the platform, data in {RUN_DIR}\n")
    postgres = start_postgres(stack)
    output.say("postgres", f"127.0.0.1:{postgres.port}")
    sessions = stack.enter_context(
        running(RedisServer(RUN_DIR, "redis", "appendonly yes\n"))
    )
    output.say("redis", f"127.0.0.1:{sessions.port}")
    swift = stack.enter_context(run_swift(RUN_DIR / "swift"))
    output.say("swift", f"{swift.url} (Swift and S3 APIs)")
    env = odoo_environ(sessions, swift)
    odoo = OdooInstance(tree, postgres, RUN_DIR / "odoo")
    if is_installed(postgres):
        output.say("database", f"{DATABASE}, as left by the last run")
    else:
        output.say("database", f"creating {DATABASE} with {', '.join(MODULES)}...")
        install(odoo, postgres, env)
        output.say("database", f"{DATABASE} created")
    server = OdooServer(
        odoo,
        DATABASE,
        LOG_PATH,
        workers=2,
        load=(*tree.default_server_wide_modules(), *SUITE_LOAD),
        env=env,
        args=(),
        program=REPO / "logging_json" / "launcher.py",
        port=free_port() if port_is_open(ODOO_PORT) else ODOO_PORT,
    )
    output.say("odoo", f"starting {server.url}; its JSON log follows")
    LOG_PATH.touch()
    stop_following = threading.Event()
    stack.callback(stop_following.set)
    threading.Thread(
        target=output.follow, args=(LOG_PATH, stop_following), daemon=True
    ).start()
    stack.callback(server.stop)
    server.start()
    state = platform_state(server, sessions, swift)
    STATE_PATH.write_text(json.dumps(state, indent=2))
    output.write(summary(state, time.monotonic() - started))
    while server.process.is_running():
        time.sleep(1)
    sys.exit(f"make run: Odoo exited with status {server.process.popen.returncode}")


def start_postgres(stack):
    """The cluster of ``.run/postgres``, made on the first run."""
    directory = RUN_DIR / "postgres"
    cluster = PostgresCluster(RUN_DIR, directory)
    fresh = not cluster.data_dir.exists()
    if fresh:
        directory.mkdir(exist_ok=True)
        check_postgres_can_enter(RUN_DIR)
        cluster.create()
    stack.enter_context(running(cluster))
    if fresh:
        cluster.create_role()
    return cluster


def check_postgres_can_enter(directory):
    """Run as root, PostgreSQL runs as the postgres user: it must reach
    ``directory``, which a home directory such as /root forbids."""
    prefix = run_as_postgres()
    if prefix and subprocess.run([*prefix, "test", "-x", directory]).returncode:
        sys.exit(
            f"make run: the postgres user cannot enter {directory}, where "
            "PostgreSQL keeps its data: clone the repository where every user "
            "can enter (for instance under /srv), or run make run as another user."
        )


def odoo_environ(sessions, swift):
    """The suite's variables for this platform, in the dev environment."""
    return {
        "RUNNING_ENV": "dev",
        "ODOO_SESSION_REDIS": "1",
        "ODOO_SESSION_REDIS_HOST": sessions.host,
        "ODOO_SESSION_REDIS_PORT": str(sessions.port),
        "ODOO_SESSION_REDIS_PREFIX": SESSION_PREFIX,
        "ODOO_LOGGING_JSON": "1",
        **swift.s3_environ(AWS_BUCKETNAME=BUCKET),
        # The addons import this checkout's odoo_cloud, whatever venv runs them.
        "PYTHONPATH": str(REPO),
    }


def is_installed(postgres):
    """Whether a previous run finished creating the database: moving the
    attachments to the object store is its last step."""
    exists = f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"  # noqa: S608
    if not postgres.psql(exists):
        return False
    if postgres.psql("SELECT to_regclass('ir_config_parameter')", DATABASE) == "":
        return False
    location = postgres.psql(
        "SELECT value FROM ir_config_parameter WHERE key = 'ir_attachment.location'",
        dbname=DATABASE,
    )
    return location == "s3"


def install(odoo, postgres, env):
    """Create the database with the suite, admin/admin as Odoo makes it, and
    move the attachments made by the installation to the object store."""
    # What an interrupted first run left.
    postgres.psql(f'DROP DATABASE IF EXISTS "{DATABASE}"')
    odoo.install(DATABASE, MODULES, env=env)
    location = odoo.shell(DATABASE, INSTALL_STORAGE, env=env)
    if location != "s3":
        sys.exit(f"make run: cloud_platform put the attachments in {location}, not s3")


def platform_state(server, sessions, swift):
    """What a person (the summary) or ``--check`` needs to reach each part."""
    return {
        "url": server.url,
        "database": DATABASE,
        "login": LOGIN,
        "password": PASSWORD,
        "redis": {
            "host": sessions.host,
            "port": sessions.port,
            "prefix": SESSION_PREFIX,
        },
        "s3": {
            "endpoint": swift.s3_endpoint,
            "access_key": swift.s3_access_key,
            "secret_key": swift.s3_secret_key,
            "region": swift.s3_region,
            "bucket": BUCKET,
        },
        "swift": {"auth_url": swift.auth_url, "user": swift.user, "key": swift.key},
        "log": str(LOG_PATH),
        "metrics": f"{server.url}/metrics",
    }


def summary(state, elapsed):
    redis_cli = (
        f"redis-cli -p {state['redis']['port']} "
        f"--scan --pattern '{state['redis']['prefix']}:session:*'"
    )
    swift = state["swift"]
    swift_cli = (
        f"{Path(sys.executable).parent / 'swift'} -A {swift['auth_url']} "
        f"-U {swift['user']} -K {swift['key']} list {state['s3']['bucket']}"
    )
    return f"""
{READY} ({elapsed:.0f} s): {state["url"]}
  login     {state["login"]} / {state["password"]} (database {state["database"]})
  sessions  {redis_cli}
  files     bucket {state["s3"]["bucket"]} of the S3 API at {state["s3"]["endpoint"]}:
            {swift_cli}
  logs      {state["log"]} (JSON, one object per line; also below)
  metrics   curl {state["metrics"]}
  check     make run-check
Ctrl-C stops everything; the data stays in {RUN_DIR}.

"""


class CheckFailed(Exception):
    pass


def check():
    """Exercise a running platform as a user would, one line per step."""
    if not STATE_PATH.exists():
        sys.exit(f"make run-check: no make run is serving from {RUN_DIR}.")
    state = json.loads(STATE_PATH.read_text())
    request_id = f"run-check-{uuid.uuid4().hex[:12]}"
    web = requests.Session()
    web.headers["X-Request-ID"] = request_id
    steps = [
        ("login", login),
        ("session", session_in_redis),
        ("upload", upload),
        ("object", object_in_store),
        ("download", download),
        ("log", json_log_line),
        ("metrics", request_in_metrics),
    ]
    facts = {"request_id": request_id}
    for name, step in steps:
        try:
            said = step(state, web, facts)
        except (
            CheckFailed,
            OSError,
            requests.RequestException,
            redis.RedisError,
            botocore.exceptions.BotoCoreError,
            botocore.exceptions.ClientError,
        ) as e:
            print(f"FAIL {name:<9} {e}", flush=True)
            sys.exit(1)
        print(f"ok   {name:<9} {said}", flush=True)


def jsonrpc(state, web, path, params):
    reply = web.post(
        f"{state['url']}{path}",
        json={"jsonrpc": "2.0", "method": "call", "params": params},
        timeout=TIMEOUT,
    )
    body = reply.json()
    if "error" in body:
        raise CheckFailed(f"{path}: {body['error']['data']['message']}")
    return body["result"]


def call(state, web, model, method, *args, **kwargs):
    params = {"model": model, "method": method, "args": args, "kwargs": kwargs}
    return jsonrpc(state, web, "/web/dataset/call_kw", params)


def login(state, web, facts):
    credentials = {
        "db": state["database"],
        "login": state["login"],
        "password": state["password"],
    }
    result = jsonrpc(state, web, "/web/session/authenticate", credentials)
    facts["sid"] = web.cookies["session_id"]
    return f"{state['login']} logged in at {state['url']} (uid {result['uid']})"


def session_in_redis(state, web, facts):
    sid = facts["sid"]
    # The hash of the session's identifier holds the session under its sid.
    key = f"{state['redis']['prefix']}:session:{sid[:IDENTIFIER_LENGTH]}"
    with redis.Redis(state["redis"]["host"], state["redis"]["port"]) as client:
        if not client.hexists(key, sid):
            raise CheckFailed(f"no session {sid[:8]}... in the key {key} of Redis")
    return f"session {sid[:8]}... in Redis, in the hash of its identifier"


def upload(state, web, facts):
    # text/plain: the object store's rule keeps small images and assets in
    # the database.
    facts["content"] = secrets.token_hex(50_000).encode()
    datas = base64.b64encode(facts["content"]).decode()
    values = {"name": "run-check.txt", "mimetype": "text/plain", "datas": datas}
    facts["id"] = call(state, web, "ir.attachment", "create", values)
    [record] = call(state, web, "ir.attachment", "read", [facts["id"]], ["store_fname"])
    facts["location"] = record["store_fname"]
    if not facts["location"].startswith(f"s3://{state['s3']['bucket']}/"):
        raise CheckFailed(f"attachment {facts['id']} is in {facts['location']}")
    size = len(facts["content"])
    return f"attachment {facts['id']} ({size} bytes) is {facts['location']}"


def object_in_store(state, web, facts):
    bucket, key = facts["location"].removeprefix("s3://").split("/", 1)
    client = boto3.client(
        "s3",
        endpoint_url=state["s3"]["endpoint"],
        aws_access_key_id=state["s3"]["access_key"],
        aws_secret_access_key=state["s3"]["secret_key"],
        region_name=state["s3"]["region"],
        config=botocore.config.Config(s3={"addressing_style": "path"}),
    )
    stored = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    if stored != facts["content"]:
        raise CheckFailed(f"{bucket}/{key} holds other bytes")
    return f"{bucket}/{key} holds the uploaded bytes"


def download(state, web, facts):
    path = f"/web/content/{facts['id']}"
    reply = web.get(f"{state['url']}{path}", timeout=TIMEOUT)
    if reply.status_code != 200 or reply.content != facts["content"]:
        raise CheckFailed(f"{path} answered {reply.status_code}, other bytes")
    return f"{path} answers the uploaded bytes"


def json_log_line(state, web, facts):
    """The access line of our login, which Odoo writes once it has answered."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with open(state["log"], errors="replace") as log:
            for line in log:
                if facts["request_id"] not in line:
                    continue
                record = json.loads(line)
                if record.get("path") == "/web/session/authenticate":
                    return (
                        f"{state['log']}: request {facts['request_id']} "
                        f"logged as JSON (status {record['status']})"
                    )
        time.sleep(0.5)
    raise CheckFailed(f"no JSON access line of {facts['request_id']} in {state['log']}")


def request_in_metrics(state, web, facts):
    reply = requests.get(state["metrics"], timeout=TIMEOUT)
    if reply.status_code != 200:
        raise CheckFailed(f"GET {state['metrics']} answered {reply.status_code}")
    labels = {
        "kind": "jsonrpc",
        "method": "POST",
        "status": "2xx",
        "db": state["database"],
    }
    count = sum(
        sample.value
        for family in text_string_to_metric_families(reply.text)
        for sample in family.samples
        if sample.name == "odoo_http_requests_total"
        and labels.items() <= sample.labels.items()
    )
    selector = ",".join(f'{name}="{value}"' for name, value in labels.items())
    series = f"odoo_http_requests_total{{{selector}}}"
    # This check's own calls: login, create, read.
    if count < 3:
        raise CheckFailed(f"{series} is {count:.0f} in {state['metrics']}, not >= 3")
    return f"{series} {count:.0f} in {state['metrics']}"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="check a running platform end to end"
    )
    if parser.parse_args().check:
        check()
    else:
        main()
