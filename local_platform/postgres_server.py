"""A PostgreSQL cluster on loopback: throwaway for the tests, kept in
``.run/`` by ``make run``.

PostgreSQL refuses to run as root, and the tests run as root on the project's
machines: there the cluster is made and run as the ``postgres`` system user, in
a directory of its own (pytest's temporary directories are private to root).
"""

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from .errors import ServerFailed
from .process import HOST, RestartableServer, free_port, require_binary

SUPERUSER = "postgres"
# Odoo refuses to connect as the superuser ``postgres``.
ROLE = "odoo"
PASSWORD = "odoo"

# Durability is of no use to a cluster thrown away after the session.
SETTINGS = {
    "listen_addresses": HOST,
    "fsync": "off",
    "full_page_writes": "off",
    "synchronous_commit": "off",
}


def bin_dir():
    """The newest Debian PostgreSQL bin directory, else the one on the PATH."""
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"),
        key=lambda path: [int(part) for part in path.parts[-3].split(".")],
    )
    if debian:
        return debian[-1].parent
    return Path(require_binary("initdb")).parent


def run_as_postgres():
    """The command prefix that drops root for the postgres user; none otherwise.

    setpriv execs the command in place, so the server keeps the pid (and the
    process group) that ServerProcess started.
    """
    if os.geteuid() != 0:
        return []
    return [
        require_binary("setpriv"),
        f"--reuid={SUPERUSER}",
        f"--regid={SUPERUSER}",
        "--init-groups",
        "--",
    ]


class PostgresCluster(RestartableServer):
    """A cluster in ``directory`` (a new temporary one by default), served on
    127.0.0.1:``port`` and a unix socket in that directory."""

    name = "postgres"
    user = ROLE
    password = PASSWORD

    def __init__(self, base_dir, directory=None):
        self.bin_dir = bin_dir()
        self.prefix = run_as_postgres()
        self.log_path = base_dir / "postgres.log"
        self.host = HOST
        self.port = free_port()
        # Short and outside pytest's root-only directories: the postgres user
        # must reach it, and a unix socket path is limited to 107 bytes.
        self.dir = Path(directory or tempfile.mkdtemp(prefix="odoo-cloud-pg-"))
        self.data_dir = self.dir / "data"
        self.socket_dir = self.dir

    def binary(self, name):
        return str(self.bin_dir / name)

    def create(self):
        """initdb, with trust authentication for every local connection."""
        if self.prefix:
            owner = pwd.getpwnam(SUPERUSER)
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
        result = subprocess.run(
            [
                *self.prefix,
                self.binary("initdb"),
                f"--pgdata={self.data_dir}",
                f"--username={SUPERUSER}",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
            cwd=self.dir,
            check=False,
            capture_output=True,
            text=True,
        )
        if result.returncode:
            raise ServerFailed(f"initdb failed:\n{result.stdout}{result.stderr}")

    def create_role(self):
        """The role Odoo connects as, allowed to create its databases."""
        self.psql(f"CREATE ROLE {ROLE} LOGIN CREATEDB PASSWORD '{PASSWORD}'")

    def command(self):
        settings = [
            arg for key, value in SETTINGS.items() for arg in ("-c", f"{key}={value}")
        ]
        return [
            *self.prefix,
            self.binary("postgres"),
            *("-D", self.data_dir, "-p", self.port, "-k", self.socket_dir),
            *settings,
        ]

    def answers(self):
        # As the superuser: the default, the caller's name, is logged as a
        # failed connection when it is not a role.
        ready = subprocess.run(
            [
                self.binary("pg_isready"),
                "--quiet",
                f"--host={self.host}",
                f"--port={self.port}",
                f"--username={SUPERUSER}",
            ],
            check=False,
        )
        return ready.returncode == 0

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def dsn(self, dbname="postgres"):
        """A libpq URI connecting as the ``odoo`` role."""
        return (
            f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/{dbname}"
        )

    def psql(self, sql, dbname="postgres", user=SUPERUSER):
        """Run ``sql`` with psql and return its unaligned, tuples-only output."""
        result = subprocess.run(
            [
                self.binary("psql"),
                "--no-psqlrc",
                "--quiet",
                "--no-align",
                "--tuples-only",
                "--set=ON_ERROR_STOP=1",
                f"--host={self.host}",
                f"--port={self.port}",
                f"--username={user}",
                f"--dbname={dbname}",
                f"--command={sql}",
            ],
            check=False,
            capture_output=True,
            text=True,
        )
        if result.returncode:
            raise ServerFailed(f"psql failed on {sql!r}:\n{result.stderr}")
        return result.stdout.strip()


@contextlib.contextmanager
def run_postgres(base_dir):
    """A started cluster, logging under ``base_dir``, with the ``odoo`` role;
    stopped and removed on exit."""
    cluster = PostgresCluster(base_dir)
    try:
        cluster.create()
        cluster.start()
        cluster.create_role()
        yield cluster
    finally:
        cluster.stop()
        cluster.remove()
