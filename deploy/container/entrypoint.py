"""The image's entrypoint: Odoo configured by environment variables only.

1. A secret may come from a file, as Kubernetes and podman mount Secrets:
   ``<VARIABLE>_FILE`` names the file holding ``<VARIABLE>`` (for the secret
   variables of :data:`ODOO_OPTIONS` and of ``odoo_cloud.config``).
2. Odoo's options come from :data:`ODOO_OPTIONS`, the environment names Odoo
   19.0 reads itself (``PGHOST``, ``ODOO_WORKERS``...), written into the Odoo
   configuration file that ``ODOO_RC`` names, which every series reads: Odoo
   18.0 reads no environment variable for its options, and a password in an
   argument would be visible to every process of the host. ``odoo-bin shell``
   or any other command given to the container reads the same file.
3. With no command, or options only: ``RUNNING_ENV`` must be set and
   ``odoo-cloud check`` must pass, else the container exits with its message
   and status; then Odoo's prefork server replaces this process, through
   ``logging_json``'s launcher (JSON from the first log line, on stdout).
   Any other command runs as given, after step 2.
"""

import configparser
import os
import subprocess
import sys
from pathlib import Path

from odoo_cloud.config import catalogue
from odoo_cloud.platform import RUNNING_ENVIRONMENTS

# Environment variable -> Odoo option, as Odoo 19.0 names them.
ODOO_OPTIONS = {
    "PGHOST": "db_host",
    "PGPORT": "db_port",
    "PGUSER": "db_user",
    "PGPASSWORD": "db_password",
    "PGDATABASE": "db_name",
    "PGSSLMODE": "db_sslmode",
    "ODOO_DB_MAXCONN": "db_maxconn",
    "ODOO_DBFILTER": "dbfilter",
    "ODOO_ADMIN_PASSWD": "admin_passwd",
    "ODOO_ADDONS_PATH": "addons_path",
    "ODOO_DATA_DIR": "data_dir",
    "ODOO_SERVER_WIDE_MODULES": "server_wide_modules",
    "ODOO_WORKERS": "workers",
    "ODOO_MAX_CRON_THREADS": "max_cron_threads",
    "ODOO_LIMIT_MEMORY_SOFT": "limit_memory_soft",
    "ODOO_LIMIT_MEMORY_HARD": "limit_memory_hard",
    "ODOO_LIMIT_TIME_CPU": "limit_time_cpu",
    "ODOO_LIMIT_TIME_REAL": "limit_time_real",
    "ODOO_LIMIT_TIME_REAL_CRON": "limit_time_real_cron",
    "ODOO_LIMIT_REQUEST": "limit_request",
    "ODOO_LOG_LEVEL": "log_level",
    "ODOO_EMAIL_FROM": "email_from",
    "ODOO_SMTP_SERVER": "smtp_server",
    "ODOO_SMTP_PORT": "smtp_port",
    "ODOO_SMTP_USER": "smtp_user",
    "ODOO_SMTP_PASSWORD": "smtp_password",
}
ODOO_SECRETS = ("PGPASSWORD", "ODOO_ADMIN_PASSWD", "ODOO_SMTP_PASSWORD")
SECRETS = (
    *ODOO_SECRETS,
    *(variable.name for variable in catalogue() if variable.secret),
)
# HTTP (prefork workers) and the websocket (the gevent process), as the
# Containerfile exposes them.
HTTP_PORT = 8069
GEVENT_PORT = 8072
LAUNCHER = Path(__file__).resolve().parents[2] / "logging_json" / "launcher.py"
# Every instance of the image runs behind a load balancer, and serves the
# databases it is told to serve: no database manager.
SERVER_OPTIONS = (
    # Every interface of the container (19.0 warns that 20.0 defaults to
    # 127.0.0.1).
    "--http-interface=0.0.0.0",
    f"--http-port={HTTP_PORT}",
    f"--gevent-port={GEVENT_PORT}",
    "--proxy-mode",
    "--no-database-list",
)


class Refused(Exception):
    """The environment is not one this container starts with; the message
    says why."""


def read_secret_files(environ):
    """``environ`` with each ``<SECRET>_FILE`` read into ``<SECRET>``."""
    environ = dict(environ)
    for name in SECRETS:
        path = environ.pop(f"{name}_FILE", None)
        if path is None:
            continue
        if name in environ:
            raise Refused(f"{name} and {name}_FILE are both set: set one of them")
        try:
            environ[name] = Path(path).read_text().rstrip("\n")
        except OSError as error:
            raise Refused(f"{name}_FILE={path}: {error.strerror}") from None
    return environ


def odoo_configuration(environ):
    """The ``[options]`` of an Odoo configuration file, from ``environ``."""
    parser = configparser.RawConfigParser()
    parser.add_section("options")
    for name, option in ODOO_OPTIONS.items():
        value = environ.get(name)
        if value is None:
            continue
        if "\n" in value:
            raise Refused(f"{name} holds a line break")
        parser.set("options", option, value)
    return parser


def write_configuration(parser, path):
    """Write ``parser`` to ``path``, readable by this user alone."""
    try:
        path.unlink(missing_ok=True)
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as file:
            parser.write(file)
    except OSError as error:
        raise Refused(f"cannot write ODOO_RC={path}: {error.strerror}") from None


def check(environ):
    """Refuse an environment that ``odoo-cloud check`` rejects, or that does
    not say which it is."""
    if not environ.get("RUNNING_ENV"):
        choices = ", ".join(RUNNING_ENVIRONMENTS)
        raise Refused(f"RUNNING_ENV is not set: set it to one of {choices}")
    checked = subprocess.run(
        [Path(sys.executable).with_name("odoo-cloud"), "check"],
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )
    if checked.returncode:
        raise Refused(f"odoo-cloud check failed:\n{checked.stdout}{checked.stderr}")


def main(args):
    try:
        environ = read_secret_files(os.environ)
        write_configuration(odoo_configuration(environ), Path(environ["ODOO_RC"]))
        if args and not args[0].startswith("-"):
            os.execvpe(args[0], args, environ)  # noqa: S606 (the container's command)
        check(environ)
    except Refused as refused:
        sys.exit(f"odoo-cloud container: refusing to start: {refused}")
    server = [sys.executable, str(LAUNCHER), *SERVER_OPTIONS, *args]
    # Odoo logs on stderr, and --logfile=/dev/stdout fails once Odoo resolves
    # the link to a pipe: its log goes to stdout as its stderr.
    os.dup2(sys.stdout.fileno(), sys.stderr.fileno())
    os.execve(sys.executable, server, environ)  # noqa: S606 (Odoo becomes PID 1)


if __name__ == "__main__":
    main(sys.argv[1:])
