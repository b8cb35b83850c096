"""Start and stop real server processes.

Every server runs in its own process group so that stopping it also stops the
workers it forked (Swift, PostgreSQL). Each started group is remembered in
``STARTED`` so that a test session can check, once every fixture is torn
down, that nothing it started is still running.
"""

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import time

from .errors import ServerFailed, Unavailable

# Every server the harness starts listens on loopback only.
HOST = "127.0.0.1"
STARTED = []
_PORTS_HANDED_OUT = set()
# Ports are picked below the kernel's ephemeral range (from 32768), where
# outgoing connections take theirs, and each of `make test`'s test processes
# (pytest-xdist's workers, and what they start) picks in a slice of its own.
PORT_RANGE = range(20000, 32768)


def _ports_of_this_process():
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    index = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    size = len(PORT_RANGE) // count
    start = PORT_RANGE.start + index * size
    return range(start, start + size)


_PORTS = _ports_of_this_process()


def require_binary(name):
    """Path of ``name``; :class:`Unavailable` when it is not installed."""
    path = shutil.which(name) or next(
        (
            candidate
            for candidate in (f"/usr/sbin/{name}", f"/usr/bin/{name}")
            if os.access(candidate, os.X_OK)
        ),
        None,
    )
    if path:
        return path
    raise Unavailable(f"{name} is not installed (run `make setup`)")


def free_port():
    """A loopback TCP port nobody listens on, never handed out twice.

    Fixtures pick several ports before their servers bind them: remembering
    the ports already given keeps two picks from colliding.
    """
    while True:
        port = random.choice(_PORTS)
        if port in _PORTS_HANDED_OUT:
            continue
        with socket.socket() as sock:
            try:
                sock.bind((HOST, port))
            except OSError:
                continue
        _PORTS_HANDED_OUT.add(port)
        return port


def port_is_open(port, host=HOST):
    with contextlib.suppress(OSError), socket.create_connection((host, port), 0.2):
        return True
    return False


def wait_until(predicate, timeout, what, process=None):
    """Poll ``predicate`` until true; fail with ``what`` and the log otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.popen.poll() is not None:
            raise ServerFailed(
                f"{process.name} exited with {process.popen.returncode} "
                f"while waiting for {what}:\n{process.log_tail()}"
            )
        if predicate():
            return
        time.sleep(0.05)
    tail = f":\n{process.log_tail()}" if process is not None else ""
    raise ServerFailed(f"timed out after {timeout}s waiting for {what}{tail}")


class ServerProcess:
    """One server started in its own process group, output kept in a log file."""

    def __init__(self, name, args, log_path, env=None, cwd=None, input_path=None):
        self.name = name
        self.args = [str(arg) for arg in args]
        self.log_path = log_path
        self.env = env
        self.cwd = cwd
        self.input_path = input_path or os.devnull
        self.popen = None

    def start(self):
        with open(self.log_path, "ab") as log, open(self.input_path, "rb") as stdin:
            self.popen = subprocess.Popen(
                self.args,
                stdin=stdin,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
            )
        STARTED.append(self)
        return self

    @property
    def pid(self):
        return self.popen.pid

    def is_running(self):
        return self.popen is not None and self.popen.poll() is None

    def signal(self, signum):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signum)

    def stop(self, timeout=10):
        """SIGTERM the whole group, SIGKILL what is left after ``timeout``."""
        if self.popen is None:
            return
        self.signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.popen.wait(timeout)
        deadline = time.monotonic() + timeout
        while group_members(self.popen.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.signal(signal.SIGKILL)

    def kill(self):
        """SIGKILL the group at once, as a crash would."""
        self.signal(signal.SIGKILL)
        self.popen.wait(10)

    def log_tail(self, lines=40):
        with contextlib.suppress(OSError), open(self.log_path, errors="replace") as log:
            return "".join(log.readlines()[-lines:])
        return ""


class RestartableServer:
    """A server that keeps its port and files across ``stop()`` and ``start()``,
    so that clients configured once see an outage and the recovery.

    Subclasses set ``name``, ``dir`` and ``log_path`` and define ``command()``
    and ``answers()``. Each start is a new ServerProcess (a new process group).
    """

    start_timeout = 30
    process = None

    def start(self):
        """Start the server (again, on the same port) and wait until it answers."""
        if self.is_running():
            raise ServerFailed(f"{self.name} is already running")
        self.process = ServerProcess(
            self.name, self.command(), self.log_path, cwd=self.dir
        ).start()
        wait_until(
            self.answers, self.start_timeout, f"{self.name} to answer", self.process
        )
        return self

    def is_running(self):
        return self.process is not None and self.process.is_running()

    def restart(self):
        """Start again after a crash: what is left of the last run's process
        group is stopped first."""
        self.stop()
        return self.start()

    def stop(self):
        """Shut down cleanly, as an administrator would."""
        if self.process is not None:
            self.process.stop()

    def kill(self):
        """SIGKILL, as a crash would: nothing is handed over."""
        self.process.kill()


@contextlib.contextmanager
def running(server):
    """``server`` started, and stopped on exit whatever happened inside."""
    try:
        yield server.start()
    finally:
        server.stop()


def group_members(pgid):
    """Pids of the live (non-zombie) processes of process group ``pgid``."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError):
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            state, group = fields[0], int(fields[2])
            if group == pgid and state != "Z":
                members.append(int(entry))
    return members


def survivors():
    """Servers started in this process that still have a live process."""
    return [
        (server.name, pids) for server in STARTED if (pids := group_members(server.pid))
    ]
