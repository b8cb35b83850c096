"""``make run``: the whole platform on this machine, to try it out.

Starts PostgreSQL, Redis and an OpenStack Swift all-in-one (whose S3 API
holds the attachments) on loopback, creates a database with the suite
installed on the first run, then serves it as production does, in small:
two Odoo instances from ``ODOO_SRC`` (prefork, the server-wide addons loaded,
each with an empty data directory of its own) behind HAProxy, until Ctrl-C
(or SIGTERM) stops everything it started. A server that dies is reported and
started again. Every server keeps its data in ``.run/``, so the next run
finds the same database, sessions and files; ``.run/platform.env`` holds the
suite's settings, for ``odoo-cloud check --env-file``.

The servers are those the tests start, with their data in ``.run/``;
``make run-check`` (:mod:`.check`) checks the running platform.
"""

import contextlib
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from odoo_cloud_adapter.series import SUPPORTED_SERIES

from . import in_odoo
from .errors import PlatformError
from .haproxy_server import HAProxy
from .odoo_server import OdooInstance, OdooServer
from .odoo_trees import usable_tree
from .postgres_server import PostgresCluster, run_as_postgres
from .process import HOST, free_port, port_is_open, running
from .redis_server import RedisServer
from .swift_server import run_swift

REPO = Path(__file__).resolve().parents[1]
RUN_DIR = REPO / ".run"
STATE_PATH = RUN_DIR / "platform.json"
ENV_PATH = RUN_DIR / "platform.env"
ENV_FILE_HEADER = "# The settings of make run, for odoo-cloud check --env-file."
DATABASE = "odoo"
LOGIN = PASSWORD = "admin"
# `<project>-odoo-<env>`, as cloud_platform expects outside dev too.
BUCKET = SESSION_PREFIX = "platform-odoo-dev"
# mail: the web client's chatter and its bus (the websocket).
MODULES = (
    "web",
    "mail",
    "base_attachment_object_storage",
    "attachment_s3",
    "cloud_platform",
)
# Loaded after the tree's own server-wide modules (base and web; 19.0 adds rpc).
SUITE_LOAD = (
    "session_redis",
    "session_gc_noop",
    "logging_json",
    "monitoring_prometheus",
)
# Served behind HAProxy, on this port when it is free.
ODOO_PORT = 8069
INSTANCES = 2
# HTTP workers of each instance's prefork server.
WORKERS = 2
# A service that dies is started again, unless it died that often lately.
WATCH_INTERVAL = 1
MAX_RESTARTS = 3
RESTART_WINDOW = 60
READY = "The platform is ready"


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
            output.write("\nStopping HAProxy, Odoo, Swift, Redis and PostgreSQL...\n")
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
    """Start everything (stopped by ``stack``), then watch it until a service
    dies for good."""
    output.write(f"Starting the platform, data in {RUN_DIR}\n")
    postgres = start_postgres(stack)
    output.say("postgres", f"{HOST}:{postgres.port}")
    sessions = stack.enter_context(
        running(RedisServer(RUN_DIR, "redis", "appendonly yes\n"))
    )
    output.say("redis", f"{HOST}:{sessions.port}")
    swift = stack.enter_context(run_swift(RUN_DIR / "swift"))
    output.say("swift", f"{swift.url} (Swift and S3 APIs)")
    env = odoo_environ(sessions, swift)
    # It holds the store's secret: its owner's alone, even when it existed.
    ENV_PATH.touch(mode=0o600)
    ENV_PATH.chmod(0o600)
    ENV_PATH.write_text(env_file(env))
    installer = OdooInstance(tree, postgres, RUN_DIR / "odoo")
    if is_installed(postgres):
        output.say("database", f"{DATABASE}, as left by the last run")
    else:
        output.say("database", f"creating {DATABASE} with {', '.join(MODULES)}...")
        install(installer, postgres, env)
        output.say("database", f"{DATABASE} created")
    names = [f"odoo-{number}" for number in range(1, INSTANCES + 1)]
    instances = {
        name: odoo_instance(
            tree,
            postgres,
            env,
            DATABASE,
            data_dir=RUN_DIR / "instances" / name,
            log_path=RUN_DIR / f"{name}.log",
        )
        for name in names
    }
    proxy = HAProxy(
        RUN_DIR,
        [(odoo.port, odoo.gevent_port) for odoo in instances.values()],
        port=free_port() if port_is_open(ODOO_PORT) else ODOO_PORT,
    )
    stop_following = threading.Event()
    stack.callback(stop_following.set)
    for name, odoo in instances.items():
        output.say(name, f"starting {odoo.url}; its JSON log follows")
        odoo.log_path.touch()
        threading.Thread(
            target=output.follow, args=(odoo.log_path, stop_following), daemon=True
        ).start()
        stack.callback(odoo.stop)
    for odoo in instances.values():
        odoo.start()
    stack.enter_context(running(proxy))
    output.say("haproxy", f"{proxy.url}, in front of {len(instances)} instances")
    state = platform_state(proxy, instances, sessions, swift)
    STATE_PATH.write_text(json.dumps(state, indent=2))
    output.write(summary(state, time.monotonic() - started))
    services = [
        Service("postgres", lambda: postgres.process, postgres.restart),
        Service("redis", lambda: sessions.process, sessions.restart),
        Service("swift", lambda: swift.proxy, swift.restart_proxy),
        *(Service(process.name, lambda p=process: p) for process in swift.backends),
        *(
            Service(name, lambda odoo=odoo: odoo.process, odoo.restart)
            for name, odoo in instances.items()
        ),
        Service("haproxy", lambda: proxy.process, proxy.restart),
    ]
    watch(services, output)


class Service:
    """A server ``make run`` watches: ``process()`` is its current process,
    ``restart()`` starts it again (None: it cannot be restarted alone)."""

    def __init__(self, name, process, restart=None):
        self.name = name
        self.process = process
        self.restart = restart
        self.restarts = []


def watch(services, output):
    """Report a service that died, and start it again; exit naming it when it
    cannot be restarted, fails to start, or died too often lately."""
    while True:
        for service in services:
            process = service.process()
            if process.is_running():
                continue
            how = exit_description(process.popen.returncode)
            died = f"{service.name} {how}"
            now = time.monotonic()
            service.restarts = [t for t in service.restarts if now - t < RESTART_WINDOW]
            if service.restart is None:
                sys.exit(f"make run: {died}, and cannot be restarted alone; stopping.")
            if len(service.restarts) >= MAX_RESTARTS:
                sys.exit(
                    f"make run: {died} again, {MAX_RESTARTS} restarts within "
                    f"{RESTART_WINDOW} s; stopping."
                )
            output.say(service.name, f"{how}; starting it again")
            service.restarts.append(now)
            try:
                service.restart()
            except PlatformError as failed:
                sys.exit(f"make run: {died} and did not start again: {failed}")
            output.say(service.name, "running again")
        time.sleep(WATCH_INTERVAL)


def exit_description(returncode):
    if returncode < 0:
        return f"was killed by {signal.Signals(-returncode).name}"
    return f"exited with status {returncode}"


def odoo_instance(tree, postgres, env, database, data_dir, log_path):
    """An Odoo instance as in production (prefork, the suite's server-wide
    addons, behind a proxy) with an empty data directory of its own: what it
    needs beyond it lives in PostgreSQL, Redis and the object store."""
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    return OdooServer(
        OdooInstance(tree, postgres, data_dir),
        database,
        log_path,
        workers=WORKERS,
        load=(*tree.default_server_wide_modules(), *SUITE_LOAD),
        env=env,
        args=("--proxy-mode",),
        program=REPO / "logging_json" / "launcher.py",
    )


def env_file(env):
    """The suite's variables of the platform as ``NAME=value`` lines, for
    ``odoo-cloud check --env-file``."""
    lines = [f"{name}={value}" for name, value in env.items() if name != "PYTHONPATH"]
    return "".join(f"{line}\n" for line in [ENV_FILE_HEADER, *lines])


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
    location = odoo.call(DATABASE, in_odoo.install_storage, env=env)
    if location != "s3":
        sys.exit(f"make run: cloud_platform put the attachments in {location}, not s3")


def platform_state(proxy, instances, sessions, swift):
    """What a person (the summary) or ``make run-check`` needs to reach each
    part."""
    return {
        "url": proxy.url,
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
        "logs": [str(odoo.log_path) for odoo in instances.values()],
        "metrics": [f"{odoo.url}/metrics" for odoo in instances.values()],
        "settings": str(ENV_PATH),
    }


def run_check_command():
    """``make run-check``, with the ``VENV`` that ``make run`` was given
    when it is not the checkout's own."""
    if Path(sys.prefix).resolve() == (REPO / ".venv").resolve():
        return "make run-check"
    return f"make run-check VENV={sys.prefix}"


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
    check_settings = (
        f"{Path(sys.executable).parent / 'odoo-cloud'} check "
        f"--env-file {state['settings']}"
    )
    logs = "\n            ".join(state["logs"])
    metrics = "\n            ".join(f"curl {url}" for url in state["metrics"])
    return f"""
{READY} ({elapsed:.0f} s): {state["url"]} (HAProxy)
  login     {state["login"]} / {state["password"]} (database {state["database"]})
  sessions  {redis_cli}
  files     bucket {state["s3"]["bucket"]} of the S3 API at {state["s3"]["endpoint"]}:
            {swift_cli}
  logs      {logs}
            (JSON, one object per line; also below)
  metrics   {metrics}
  settings  {check_settings}
  check     {run_check_command()}
Ctrl-C stops everything; the data stays in {RUN_DIR}.

"""


if __name__ == "__main__":
    main()
