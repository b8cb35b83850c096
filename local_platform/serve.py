"""``make run``: the whole platform on this machine, to try it out.

Starts PostgreSQL, Redis and an OpenStack Swift all-in-one (whose S3 API
holds the attachments) on loopback, creates a database with the suite
installed on the first run, then serves Odoo from ``ODOO_SRC`` with the
server-wide addons loaded, until Ctrl-C (or SIGTERM) stops everything it
started. Every server keeps its data in ``.run/``, so the next run finds the
same database, sessions and files.

The servers are those the tests start, with their data in ``.run/``;
``make run-check`` (:mod:`.check`) checks the running platform.
"""

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from .errors import PlatformError
from .odoo_server import OdooInstance, OdooServer
from .odoo_trees import SUPPORTED_SERIES, usable_tree
from .postgres_server import PostgresCluster, run_as_postgres
from .process import free_port, port_is_open, running
from .redis_server import RedisServer
from .swift_server import run_swift

REPO = Path(__file__).resolve().parents[1]
RUN_DIR = REPO / ".run"
STATE_PATH = RUN_DIR / "platform.json"
LOG_PATH = RUN_DIR / "odoo.log"
DATABASE = "odoo"
LOGIN = PASSWORD = "admin"
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
        except PlatformError as failed:
            # A missing binary, or a server that did not start, with the end
            # of its log.
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
    exists = f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"
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


if __name__ == "__main__":
    main()
