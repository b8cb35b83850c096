"""Databases and ``odoo-bin`` servers of an Odoo tree (:mod:`.odoo_trees`),
``odoo`` and the servers running in that tree's own Python environment.
"""

import contextlib
import os
import re
import shutil
import subprocess
import urllib.request
from collections import OrderedDict
from pathlib import Path

import requests

from odoo_cloud.config import catalogue_by_name

from .errors import PlatformError, ServerFailed
from .odoo_call import SCRIPT as CALL_SCRIPT
from .odoo_call import CallServer, call_environ, returned
from .process import HOST, ServerProcess, free_port, wait_until

REPO = Path(__file__).resolve().parents[1]
SUITE_ADDONS = sorted(path.parent.name for path in REPO.glob("*/__manifest__.py"))
# Addons that exist only to test the Odoo tier itself.
TEST_ADDONS = REPO / "tests" / "odoo" / "addons"
START_TIMEOUT = 120
INSTALL_TIMEOUT = 900
# Call servers kept running at once by calls_served(), the least recently
# used stopped first: a test calls a few databases, in an environment or two.
CALL_SERVERS_KEPT = 8


def clean_environ(extra=None):
    """The test process environment without any suite variable, plus ``extra``.

    A developer's own ``ODOO_SESSION_REDIS=1`` must not leak into a server
    that a test starts with a configuration of its own; nor pytest-xdist's
    variables into a child pytest (pytest-odoo would take itself for a
    worker, and test in a copy of the database it is given).
    """
    declared = catalogue_by_name()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in declared and not k.startswith("PYTEST_XDIST_")
    }
    env.update(extra or {})
    return env


class OdooInstance:
    """Everything an ``odoo-bin`` call needs: the tree and its Python, the
    addons, PostgreSQL."""

    def __init__(self, tree, postgres, data_dir):
        self.src = tree.src
        self.series = tree.series
        self.python = tree.python
        # In database names: every series shares the session's PostgreSQL.
        self.db_suffix = tree.series.replace(".", "_")
        self.postgres = postgres
        self.data_dir = data_dir
        self.addons_path = ",".join(
            [
                str(self.src / "odoo" / "addons"),
                str(self.src / "addons"),
                str(REPO),
                str(TEST_ADDONS),
            ]
        )
        self._call_servers = None

    def tool(self, name):
        """A command of the tree's Python environment (anthem, marabunta)."""
        return self.python.with_name(name)

    def server_options(self):
        """Where Odoo keeps its files and finds PostgreSQL."""
        return {
            "data-dir": self.data_dir,
            "db_host": self.postgres.host,
            "db_port": self.postgres.port,
            "db_user": self.postgres.user,
            "db_password": self.postgres.password,
        }

    def command(self, *args, subcommand=None, program=None):
        """The command line of ``program`` (odoo-bin by default)."""
        options = [f"--{name}={value}" for name, value in self.server_options().items()]
        return [
            str(self.python),
            str(program or self.src / "odoo-bin"),
            *([subcommand] if subcommand else []),
            f"--addons-path={self.addons_path}",
            *options,
            *args,
        ]

    def run(
        self, *args, env=None, timeout=INSTALL_TIMEOUT, input=None, subcommand=None
    ):
        """Run ``odoo-bin`` to completion; the CompletedProcess with its output.

        ``input`` goes to its standard input: a script for ``odoo-bin shell``.
        """
        return subprocess.run(
            self.command(*args, subcommand=subcommand),
            env=clean_environ(env),
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def run_call(self, database, function, env=None, **arguments):
        """Run ``function(env, **arguments)`` in ``odoo-bin shell`` on
        ``database`` (:mod:`.odoo_call`; ``env`` is the process environment);
        the CompletedProcess, which printed the function's JSON result last."""
        with call_environ(function, arguments) as call:
            return self.run(
                "-d", database, "--no-http", env={**(env or {}), **call},
                input=CALL_SCRIPT, subcommand="shell",
            )  # fmt: skip

    def call(self, database, function, env=None, **arguments):
        """What ``function(env, **arguments)`` returns, run as :meth:`run_call`
        runs it, or by a call server inside :meth:`calls_served`. The function
        commits itself: what is left is rolled back when it returns."""
        if self._call_servers is not None:
            return self._call_server(database, env).call(function, arguments)
        result = self.run_call(database, function, env=env, **arguments)
        if result.returncode:
            raise ServerFailed(f"odoo shell failed:\n{result.stdout}{result.stderr}")
        return returned(result.stdout)

    @contextlib.contextmanager
    def calls_served(self):
        """Inside, :meth:`call` goes to a :class:`CallServer` per database and
        environment, which imports Odoo once for all its calls; they all stop
        on exit."""
        self._call_servers = OrderedDict()
        try:
            yield self
        finally:
            servers, self._call_servers = self._call_servers, None
            for server in servers.values():
                server.stop()

    def _call_server(self, database, env):
        key = (database, tuple(sorted((env or {}).items())))
        server = self._call_servers.pop(key, None)
        if server is None or not server.process.is_running():
            server = CallServer(
                f"odoo-shell:{database}",
                self.command("-d", database, "--no-http", subcommand="shell"),
                clean_environ(env),
            ).start()
        self._call_servers[key] = server
        while len(self._call_servers) > CALL_SERVERS_KEPT:
            self._call_servers.popitem(last=False)[1].stop()
        return server

    def install(self, database, modules, template=None, env=None):
        """Create ``database`` (from ``template`` if given) with ``modules``;
        ``env`` is the environment of the installing ``odoo-bin``."""
        if template:
            self.postgres.psql(
                f'CREATE DATABASE "{database}" OWNER {self.postgres.user} '
                f'TEMPLATE "{template}"'
            )
            filestore = self.data_dir / "filestore"
            if (filestore / template).is_dir():
                shutil.copytree(filestore / template, filestore / database)
        result = self.run(
            "-d", database, "-i", ",".join(modules),
            "--without-demo=all", "--stop-after-init", "--log-level=warn",
            env=env,
        )  # fmt: skip
        if result.returncode:
            raise ServerFailed(
                f"installing {modules} into {database} failed:\n"
                f"{result.stdout}{result.stderr}"
            )
        return database


class RequestFailed(PlatformError):
    """Odoo answered a request with an error."""


def answer(reply):
    """What a ``requests`` response says, in a line: the request, the HTTP
    status and the first line of the body."""
    first_line = next(iter(reply.text.strip().splitlines()), "(empty body)")
    return (
        f"{reply.request.method} {reply.url} answered {reply.status_code} "
        f"{reply.reason}: {first_line}"
    )


def result(reply):
    """The result of a JSON-RPC ``reply``; :class:`RequestFailed` saying what
    Odoo answered instead (:func:`answer`, or the JSON-RPC error's message)."""
    try:
        body = reply.json()
    except ValueError:
        body = None
    if reply.status_code != 200 or not isinstance(body, dict):
        raise RequestFailed(answer(reply))
    if "error" in body:
        message = body["error"].get("data", {}).get("message") or body["error"]
        raise RequestFailed(
            f"{reply.request.method} {reply.url} answered the error: {message}"
        )
    return body["result"]


class OdooClient:
    """JSON-RPC calls to the Odoo at ``url``, serving ``database``."""

    def __init__(self, url, database):
        self.url = url
        self.database = database

    def jsonrpc(self, path, params=None, session=None, headers=None, sid=None):
        """POST a JSON-RPC call to ``path``, with the cookies of ``session``
        or the session id ``sid``; the ``requests`` response."""
        payload = {"jsonrpc": "2.0", "method": "call", "params": params or {}}
        cookies = {"session_id": sid} if sid else None
        return (session or requests).post(
            f"{self.url}{path}", json=payload, headers=headers, cookies=cookies,
            timeout=60,
        )  # fmt: skip

    def login(self, login="admin", password="admin", session=None):
        """``session`` (a new ``requests.Session`` by default), logged in
        through /web/session/authenticate."""
        session = session or requests.Session()
        params = {"db": self.database, "login": login, "password": password}
        result(self.jsonrpc("/web/session/authenticate", params, session))
        return session

    def call(self, session, model, method, *args, **kwargs):
        """``model.method(*args, **kwargs)`` over JSON-RPC; the response body."""
        params = {"model": model, "method": method, "args": args, "kwargs": kwargs}
        return self.jsonrpc("/web/dataset/call_kw", params, session).json()

    def is_healthy(self):
        return answers_health(self.url)


def answers_health(url):
    """Whether the Odoo at ``url`` answers its /web/health with 200."""
    with (
        contextlib.suppress(OSError),
        urllib.request.urlopen(f"{url}/web/health", timeout=2) as reply,
    ):
        return reply.status == 200
    return False


class OdooServer(OdooClient):
    """An ``odoo-bin`` serving one database on loopback, output in a log file."""

    def __init__(
        self,
        instance,
        database,
        log_path,
        workers,
        load,
        env,
        args,
        program=None,
        port=None,
        database_manager=False,
    ):
        self.instance = instance
        self.log_path = log_path
        self.workers = workers
        self.load = load
        self.env = env
        self.args = list(args)
        self.program = program
        self.database_manager = database_manager
        self.port = port or free_port()
        self.gevent_port = free_port()
        super().__init__(f"http://{HOST}:{self.port}", database)
        self.process = None

    def start(self):
        """Start (or start again, on the same ports) and wait for /web/health."""
        self.process = ServerProcess(
            f"odoo-bin:{self.port}",
            self.instance.command(
                f"--database={self.database}",
                *self._database_options(),
                f"--http-interface={HOST}",
                f"--http-port={self.port}",
                f"--gevent-port={self.gevent_port}",
                f"--workers={self.workers}",
                "--max-cron-threads=1",
                f"--load={','.join(self.load)}",
                *self.args,
                program=self.program,
            ),
            self.log_path,
            env=clean_environ(self.env),
        ).start()
        wait_until(
            self.is_healthy, START_TIMEOUT, f"{self.url}/web/health", self.process
        )
        return self

    def _database_options(self):
        """Its database alone; with the web database manager, every database
        whose name starts with its name."""
        if self.database_manager:
            return [f"--db-filter=^{re.escape(self.database)}"]
        return [f"--db-filter=^{re.escape(self.database)}$", "--no-database-list"]

    def wait_for_gevent(self):
        """Wait until the gevent process (websockets) answers too: a new
        interpreter that loads the server-wide modules itself, a second or two
        after the workers answer, and refuses to start if what they need is
        down by then."""
        url = f"http://{HOST}:{self.gevent_port}"
        wait_until(
            lambda: answers_health(url),
            START_TIMEOUT,
            f"{url}/web/health",
            self.process,
        )

    def stop(self):
        if self.process is not None:
            self.process.stop(timeout=20)

    def restart(self):
        """Start again after a crash: what is left of the last run's process
        group (workers, the gevent process) is stopped first."""
        self.stop()
        return self.start()

    def run_cron(self, xmlid):
        """Run the scheduled action ``xmlid`` now, as the administrator."""
        module, name = xmlid.split(".")
        cron = self.instance.postgres.psql(
            "SELECT res_id FROM ir_model_data "
            f"WHERE module = '{module}' AND name = '{name}'",
            dbname=self.database,
        )
        reply = self.call(self.login(), "ir.cron", "method_direct_trigger", [int(cron)])
        assert "error" not in reply, reply

    def log(self):
        return Path(self.log_path).read_text(errors="replace")


@contextlib.contextmanager
def servers_started(odoo, log_dir):
    """Factory of ``odoo-bin`` servers logging in ``log_dir``, all stopped on
    exit. ``workers=2`` runs the prefork server, ``workers=0`` the threaded one.
    """
    servers = []

    def start(
        database, load=("base", "web"), workers=2, env=None, args=(), program=None,
        database_manager=False,
    ):  # fmt: skip
        log_path = log_dir / f"odoo-{len(servers) + 1}.log"
        server = OdooServer(
            odoo, database, log_path, workers, load, env, args, program,
            database_manager=database_manager,
        )  # fmt: skip
        servers.append(server)
        return server.start()

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


def run_addon_tests(odoo, database, test_paths, env=None, args=()):
    """Run an addon's own ``tests/`` through pytest-odoo in a child pytest.

    The project's pytest configuration disables pytest-odoo, which imports
    odoo as soon as it is loaded, and its conftest ignores addons' tests: the
    child clears the first and skips the second. ``env`` adds variables to the
    child's environment; ``args`` adds pytest(-odoo) options, such as
    ``--odoo-http`` for an HttpCase.
    """
    command = [str(odoo.python), "-m", "pytest", "-o", "addopts=", "--noconftest", "-q"]
    command += ["-p", "no:cacheprovider", f"--rootdir={REPO}"]
    command += [f"--odoo-database={database}", f"--odoo-addons-path={odoo.addons_path}"]
    for option, value in odoo.server_options().items():
        command += ["--odoo-extra", f"{option}={value}"]
    return subprocess.run(
        [*command, *args, *map(str, test_paths)],
        env=clean_environ(env),
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
        check=False,
    )
