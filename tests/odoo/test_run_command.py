"""`make run`: the whole platform served from a fresh clone, checked end to end
by `make run-check`, stopped by Ctrl-C without leaving anything behind, and
started again on the data of the first run.

The clone reuses the venv running the tests (``VENV=``): `make setup` is not
part of what is timed.
"""

import contextlib
import hashlib
import itertools
import json
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
import redis
import requests
from playwright.sync_api import sync_playwright

from local_platform.haproxy_server import stats
from local_platform.odoo_server import REPO
from local_platform.process import ServerProcess, require_binary, wait_until
from odoo_cloud_adapter.series import SUPPORTED_SERIES

READY = "The platform is ready"
# As long as a newcomer is promised to wait; the time is printed, not asserted.
READY_TIMEOUT = 180
STOP_TIMEOUT = 120
BROWSER_TIMEOUT = 60_000  # milliseconds
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
    commands = printed_commands(printed)
    assert [command.split()[0].rsplit("/", 1)[-1] for command in commands] == [
        "redis-cli", "swift", "curl", "curl", "odoo-cloud", "make",
    ]  # fmt: skip
    # As a person pastes them, in the checkout.
    for command in commands:
        pasted = subprocess.run(
            ["bash", "-c", command], cwd=run.checkout,
            capture_output=True, text=True, timeout=STOP_TIMEOUT,
        )  # fmt: skip
        assert pasted.returncode == 0, (command, pasted.stdout + pasted.stderr)
        if " check --env-file " in command:
            assert "RUNNING_ENV=dev: every platform rule holds" in pasted.stdout
    assert commands[-1] == f"make run-check VENV={sys.prefix}"


def printed_commands(output):
    """The commands of `make run`'s summary, for a person to paste."""
    summary = output[output.rindex(READY) : output.rindex("Ctrl-C stops everything")]
    command = r"(?:redis-cli|curl|make|/\S+/(?:swift|odoo-cloud)) .*"
    return re.findall(rf"^ +(?:[a-z]+ +)?({command})$", summary, re.M)


def started_process(run, command_part):
    """The pid of the process group leader started by `make run` whose command
    line holds ``command_part``."""
    for pid in run.survivors():
        with contextlib.suppress(OSError):
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            if command_part.encode() in command and os.getpgid(pid) == pid:
                return pid
    raise AssertionError(f"make run started no {command_part}")


def live_updates(checkout):
    """The connections HAProxy currently holds to the instances' websocket
    (gevent) ports."""
    return sum(
        int(row["scur"])
        for row in stats(checkout / ".run" / "haproxy" / "admin.sock")
        if row["pxname"].startswith("live_updates") and row["svname"] == "BACKEND"
    )


def test_web_client_through_haproxy(platform, checkout, tmp_path, keep_screenshot):
    """A user's first minute: the login form, a form view with its chatter, a
    file attached there, all through HAProxy, in headless Chromium."""
    run, _ = platform
    url = ready_url(run)
    errors_before = len(logged_errors(checkout))
    name = f"notes-{uuid.uuid4().hex[:8]}.txt"
    failed = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=require_binary("chromium"), args=["--no-sandbox"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.on("response", lambda r: r.status >= 400 and failed.append(r))
        page.goto(f"{url}/web/login")
        page.fill("input[name=login]", "admin")
        page.fill("input[name=password]", "admin")
        page.click("button[type=submit]")
        page.wait_for_selector(".o_main_navbar", timeout=BROWSER_TIMEOUT)
        # The administrator's own contact, a form with a chatter.
        page.goto(f"{url}/odoo/res.partner/3")
        page.wait_for_selector(".o-mail-Chatter", timeout=BROWSER_TIMEOUT)
        page.set_input_files(
            "input.o-mail-Chatter-fileUploader",
            {"name": name, "mimeType": "text/plain", "buffer": b"x" * 20_000},
        )
        card = page.locator(".o-mail-AttachmentCard", has_text=name)
        card.wait_for(timeout=BROWSER_TIMEOUT)
        card.scroll_into_view_if_needed()
        shot = tmp_path / "make-run-web-client.png"
        page.screenshot(path=shot)
        # The bus opens its websocket from a worker, out of the page's sight:
        # HAProxy sees it.
        wait_until(lambda: live_updates(run.checkout) > 0, 30, "the bus's websocket")
        browser.close()
    assert [f"{r.status} {r.url}" for r in failed] == []
    assert logged_errors(checkout)[errors_before:] == []
    session = requests.Session()
    credentials = {"db": DATABASE, "login": "admin", "password": "admin"}
    jsonrpc(session, url, "/web/session/authenticate", credentials)
    domain = [("name", "=", name)]
    [attachment] = jsonrpc(
        session, url, "/web/dataset/call_kw",
        {"model": "ir.attachment", "method": "search_read", "args": [domain],
         "kwargs": {"fields": ["store_fname", "res_model", "res_id"]}},
    )  # fmt: skip
    assert attachment["store_fname"].startswith("s3://platform-odoo-dev/")
    assert (attachment["res_model"], attachment["res_id"]) == ("res.partner", 3)
    keep_screenshot(shot)


def redis_pid(run):
    state = json.loads((run.checkout / ".run" / "platform.json").read_text())
    with redis.Redis(state["redis"]["host"], state["redis"]["port"]) as client:
        # Redis writes its title over its environment: asked, not found.
        return client.info("server")["process_id"]


def test_run_check_says_what_was_answered(platform):
    """A frozen Redis (alive for make run, silent for Odoo): run-check fails at
    the login, with the status and the first line of what Odoo answered."""
    run, _ = platform
    pid = redis_pid(run)
    os.kill(pid, signal.SIGSTOP)
    try:
        check = subprocess.run(
            make("--no-print-directory", "-s", "run-check"),
            cwd=run.checkout, capture_output=True, text=True, timeout=STOP_TIMEOUT,
        )  # fmt: skip
    finally:
        os.kill(pid, signal.SIGCONT)
    # make's own status: the check exited 1.
    assert check.returncode == 2, check.stdout + check.stderr
    [failure] = check.stdout.splitlines()
    assert failure.startswith("FAIL login     POST http://127.0.0.1:"), failure
    assert failure.endswith(
        "/web/session/authenticate answered 503 Service Unavailable: "
        "Service unavailable: the session store does not answer. Retry shortly."
    ), failure


def test_the_settings_file_is_its_owners_alone(platform):
    run, _ = platform
    settings = run.checkout / ".run" / "platform.env"
    assert "SECRET" in settings.read_text()
    assert settings.stat().st_mode & 0o777 == 0o600


def printed(run, pattern):
    """Whether ``pattern`` is in what `make run` printed, asked later."""
    return lambda: re.search(pattern, run.output())


def test_a_service_that_dies_is_reported_and_started_again(platform):
    run, _ = platform
    for name, pid in (
        ("redis", redis_pid(run)),
        ("odoo-2", started_process(run, "instances/odoo-2")),
        ("swift", started_process(run, "swift-proxy-server")),
    ):
        os.kill(pid, signal.SIGKILL)
        reported = f"  {name:<9} was killed by SIGKILL; starting it again"
        wait_until(printed(run, re.escape(reported)), 10, reported, run.process)
        again = f"{re.escape(reported)}\n(?:.*\n)*?  {name:<9} running again"
        wait_until(printed(run, again), 120, again, run.process)
    check = subprocess.run(
        make("--no-print-directory", "-s", "run-check"),
        cwd=run.checkout, capture_output=True, text=True, timeout=STOP_TIMEOUT,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr


def ready_url(run):
    return re.search(rf"{READY} \(\d+ s\): (\S+)", run.output())[1]


def logged_errors(checkout):
    """The ERROR lines of every Odoo instance's JSON log."""
    return [
        line
        for path in sorted((checkout / ".run").glob("odoo-*.log"))
        for line in path.read_text(errors="replace").splitlines()
        if '"level":"ERROR"' in line
    ]


def jsonrpc(session, url, path, params):
    payload = {"jsonrpc": "2.0", "method": "call", "params": params}
    reply = session.post(f"{url}{path}", json=payload, timeout=60)
    return reply.json()["result"]


def test_ctrl_c_stops_everything_and_the_next_run_reuses_the_data(request, platform):
    run, check = platform
    url = ready_url(run)
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
    url = ready_url(run)
    info = jsonrpc(session, url, "/web/session/get_session_info", {})
    assert info["uid"] == 2
    reply = session.get(f"{url}/web/content/{attachment_id}", timeout=60)
    assert reply.status_code == 200
    assert hashlib.sha1(reply.content).hexdigest() == sha1

    run.interrupt()
    assert run.survivors() == []
