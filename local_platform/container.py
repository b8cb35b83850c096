"""Containers of the suite's image (``odoo-cloud:<series>``, :mod:`.image`),
run with podman on the host's network: each reaches the servers of this
machine on loopback and serves on ports of its own, as the end-to-end test
of the image runs them behind HAProxy.
"""

import re
import subprocess

from .errors import ServerFailed
from .image import base_image, build, run
from .odoo_server import START_TIMEOUT, OdooClient
from .process import HOST, free_port, wait_until

# podman stop's default: SIGTERM, then SIGKILL after this many seconds.
STOP_TIMEOUT = 10
# Longer than any podman command below takes, stop included.
PODMAN_TIMEOUT = 120


def image_of(tree):
    """The image of ``tree``, built from the checkout as it is: podman's
    cache makes an unchanged build take about half a minute, and an image
    built earlier would test code that has changed since."""
    build(tree, base_image())
    return f"odoo-cloud:{tree.series}"


def container_environ(suite_environ, postgres, database):
    """The environment of a container serving ``database`` of ``postgres``
    with the suite's variables of the host's Odoo (``suite_environ``), but
    the host's ``PYTHONPATH``: the image has the suite installed."""
    environ = {
        name: value for name, value in suite_environ.items() if name != "PYTHONPATH"
    }
    return {
        **environ,
        "PGHOST": postgres.host,
        "PGPORT": str(postgres.port),
        "PGUSER": postgres.user,
        "PGPASSWORD": postgres.password,
        "PGDATABASE": database,
        "ODOO_DBFILTER": f"^{re.escape(database)}$",
    }


def podman(*args, timeout=PODMAN_TIMEOUT):
    """``podman args`` with the settings of :mod:`.image`; its output, or
    :class:`ServerFailed` with what it said."""
    completed = run(
        ["podman", *args], check=False, capture_output=True, text=True, timeout=timeout
    )
    if completed.returncode:
        raise ServerFailed(
            f"podman {' '.join(args)} exited with status {completed.returncode}:\n"
            f"{completed.stdout}{completed.stderr}"
        )
    return completed.stdout


class OdooContainer(OdooClient):
    """A container ``name`` of ``image`` serving ``database`` on free ports
    of the host, configured by ``env``; the server's options (ports) are
    given as arguments, which the entrypoint appends to its own."""

    def __init__(self, image, name, env, database=None):
        self.image = image
        self.name = name
        self.env = env
        self.port = free_port()
        self.gevent_port = free_port()
        super().__init__(f"http://{HOST}:{self.port}", database)

    def run_command(self, *podman_options):
        env_options = [f"--env={name}={value}" for name, value in self.env.items()]
        return [
            "run", f"--name={self.name}", "--network=host", *env_options,
            *podman_options, self.image,
            f"--http-port={self.port}", f"--gevent-port={self.gevent_port}",
        ]  # fmt: skip

    def start(self):
        """Start in the background and wait until Odoo answers /web/health."""
        podman(*self.run_command("--detach"))
        wait_until(self.is_healthy, START_TIMEOUT, f"{self.name} at {self.url}")
        return self

    def is_healthy(self):
        state = self.state()
        if state != "running":
            raise ServerFailed(f"container {self.name} is {state}:\n{self.logs()}")
        return super().is_healthy()

    def run_to_the_end(self):
        """Run in the foreground until the container exits; podman's
        CompletedProcess, with the container's output."""
        return run(
            ["podman", *self.run_command()],
            check=False,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT,
        )

    def state(self):
        return podman("inspect", "--format={{.State.Status}}", self.name).strip()

    def exit_code(self):
        return int(podman("inspect", "--format={{.State.ExitCode}}", self.name))

    def logs(self):
        return run(
            ["podman", "logs", self.name],
            check=False,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ).stdout

    def kill(self):
        """SIGKILL, as a crash would; returns once the container is gone."""
        podman("kill", self.name)
        podman("wait", self.name)

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM, then SIGKILL if it still runs after ``timeout`` seconds;
        returns once the container has exited."""
        podman("stop", f"--time={timeout}", self.name)

    def remove(self):
        """Remove the container, at once, whatever its state; none is fine."""
        podman("rm", "--force", "--ignore", "--time=0", self.name)
