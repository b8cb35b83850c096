"""`make run`: the whole platform served from a fresh clone, checked end to end
by `make run-check`, stopped by Ctrl-C without leaving anything behind, and
started again on the data of the first run.

The clone reuses the venv running the tests (``VENV=``): `make setup` is not
part of what is timed.
"""

import contextlib
import hashlib
import itertools
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import requests

from local_platform.odoo_server import REPO
from local_platform.odoo_trees import SUPPORTED_SERIES
from local_platform.process import ServerProcess, wait_until

READY = "The platform is ready"
# As long as a newcomer is promised to wait; the time is printed, not asserted.
READY_TIMEOUT = 180
STOP_TIMEOUT = 120
DATABASE = "odoo"
# Set in the environment of `make run`, inherited by every process it starts:
# the processes that hold it are those it started.
MARKER = "ODOO_CLOUD_TEST_RUN_MARKER"


def report(request, text):
    """Print ``text`` on the terminal, whatever pytest captures."""
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(text)


def make(*args):
    """`make` with the venv of this test run, whatever the checkout."""
    return ["make", *args, f"VENV={sys.prefix}"]


def test_without_odoo_src_one_line_says_what_is_missing():
    # ODOO_SRC= on the command line also hides the developer's own.
    result = subprocess.run(
        [*make("--no-print-directory", "-s", "run"), "ODOO_SRC="],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    said = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        # make's own report of the failure; make[1] when make test runs this
        if not re.match(r"make(\[\d+\])?: \*\*\*", line)
    ]
    assert result.returncode != 0
    assert said == [
        "make run: ODOO_SRC is not set: no Odoo source tree. Build the "
        "environment of an Odoo source tree and serve it: make setup run "
        f"ODOO_SRC=/path/to/odoo (git clone --depth 1 --branch {SUPPORTED_SERIES[-1]} "
        "https://github.com/odoo/odoo /path/to/odoo)."
    ]


def git(*args, cwd=REPO):
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture(scope="module")
def checkout(odoo_tree):
    """A fresh clone per Odoo tree (the database in `.run/` belongs to the
    series that made it), plus the working tree's changes not committed yet
    (what `git clone` leaves out), so that the test runs what is about to be
    committed. In a directory every user can enter: run as root, PostgreSQL
    runs as the postgres user, and keeps its data in the clone's `.run/`."""
    base = Path(tempfile.mkdtemp(prefix=f"odoo-cloud-run-{odoo_tree.series}-"))
    base.chmod(0o755)
    clone = base / "clone"
    git("clone", "--quiet", str(REPO), str(clone))
    changed = git("ls-files", "-z", "--modified", "--others", "--exclude-standard")
    for name in filter(None, changed.split("\0")):
        source, target = REPO / name, clone / name
        if source.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        else:
            target.unlink(missing_ok=True)
    yield clone
    shutil.rmtree(base)


class MakeRun:
    """`make run` in a checkout, started as from a terminal (its own process
    group, so that SIGINT to the group is a Ctrl-C), output in a file."""

    def __init__(self, checkout, odoo_src):
        self.checkout = checkout
        self.odoo_src = odoo_src
        self.marker = uuid.uuid4().hex
        self.runs = itertools.count(1)
        self.process = None

    def start(self):
        """Start, wait until the platform is ready; the seconds that took."""
        log_path = self.checkout.parent / f"make-run-{next(self.runs)}.log"
        env = dict(os.environ, **{MARKER: self.marker})
        started = time.monotonic()
        self.process = ServerProcess(
            "make run",
            [*make("run"), f"ODOO_SRC={self.odoo_src}"],
            log_path,
            env=env,
            cwd=self.checkout,
        ).start()
        wait_until(lambda: READY in self.output(), READY_TIMEOUT, READY, self.process)
        return time.monotonic() - started

    def output(self):
        return Path(self.process.log_path).read_text(errors="replace")

    def interrupt(self):
        """Ctrl-C, and wait until make has exited."""
        self.process.signal(signal.SIGINT)
        self.process.popen.wait(STOP_TIMEOUT)

    def survivors(self):
        """Live processes started by `make run` (they inherit the marker)."""
        marker = f"{MARKER}={self.marker}".encode()
        pids = []
        for entry in Path("/proc").iterdir():
            with contextlib.suppress(OSError):
                if entry.name.isdigit() and marker in (
                    (entry / "environ").read_bytes().split(b"\0")
                ):
                    pids.append(int(entry.name))
        return pids


@pytest.fixture(scope="module")
def platform(request, odoo_tree, checkout):
    """`make run` serving Odoo from the fresh clone; its first `make run-check`."""
    run = MakeRun(checkout, odoo_tree.src)
    try:
        elapsed = run.start()
        report(request, f"\nmake run, fresh clone: ready in {elapsed:.0f} s")
        check = subprocess.run(
            make("--no-print-directory", "-s", "run-check"),
            cwd=checkout,
            capture_output=True,
            text=True,
            timeout=STOP_TIMEOUT,
        )
        report(request, check.stdout + check.stderr)
        yield run, check
    finally:
        if run.process.is_running():
            run.interrupt()


def test_run_check_logs_in_uploads_and_finds_everything(platform):
    run, check = platform
    steps = [line.split()[:2] for line in check.stdout.splitlines()]
    assert check.returncode == 0, check.stdout + check.stderr
    assert steps == [
        ["ok", step]
        for step in (
            "login",
            "session",
            "upload",
            "object",
            "download",
            "log",
            "metrics",
        )
    ]
    printed = run.output()
    for where in (
        "login     admin / admin (database odoo)",
        "sessions  redis-cli -p",
        "files     bucket platform-odoo-dev",
        "logs      ",
        "metrics   curl http://127.0.0.1:",
    ):
        assert where in printed


def jsonrpc(session, url, path, params):
    payload = {"jsonrpc": "2.0", "method": "call", "params": params}
    reply = session.post(f"{url}{path}", json=payload, timeout=60)
    return reply.json()["result"]


def test_ctrl_c_stops_everything_and_the_next_run_reuses_the_data(request, platform):
    run, check = platform
    url = re.search(rf"{READY} \(\d+ s\): (\S+)", run.output())[1]
    upload = re.search(
        r"attachment (\d+) \(\d+ bytes\) is s3://\S+/(\w+)", check.stdout
    )
    assert upload, check.stdout
    attachment_id, sha1 = upload.groups()
    session = requests.Session()
    credentials = {"db": DATABASE, "login": "admin", "password": "admin"}
    assert jsonrpc(session, url, "/web/session/authenticate", credentials)["uid"]

    run.interrupt()
    assert "Stopped; the data stays in" in run.output()
    assert run.survivors() == []

    elapsed = run.start()
    report(request, f"make run, second run on the same data: ready in {elapsed:.0f} s")
    assert "database  odoo, as left by the last run" in run.output()
    # The session of the first run (Redis), the file uploaded then (database
    # and object store).
    url = re.search(rf"{READY} \(\d+ s\): (\S+)", run.output())[1]
    info = jsonrpc(session, url, "/web/session/get_session_info", {})
    assert info["uid"] == 2
    reply = session.get(f"{url}/web/content/{attachment_id}", timeout=60)
    assert reply.status_code == 200
    assert hashlib.sha1(reply.content).hexdigest() == sha1

    run.interrupt()
    assert run.survivors() == []
