"""``odoo-cloud``: the operator's command line."""

import argparse
import re
import sys

from odoo_cloud_adapter import import_hook

from . import config, platform
from .errors import ConfigError, PlatformError, SessionStoreUnavailable
from .sessions.filesystem import import_sessions, vacuum


def check(args):
    """Print the variables set (every variable with ``--all``), then check
    them against the rules of the running environment (``--env``, else
    RUNNING_ENV). The variables are the process environment's, or with
    ``--env-file`` the file's alone. Exit 2 listing every bad variable, or
    every feature they turn on whose library is not installed; 1 listing
    every violated rule with its fix."""
    effective, problems = config.parse(args.env_file, running_env_argument=args.env)
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        return 2
    shown_settings = [
        setting
        for setting in effective.settings.values()
        if args.all or not setting.source.startswith("default")
    ]
    width = max((len(setting.variable.name) for setting in shown_settings), default=0)
    group = None
    for setting in shown_settings:
        variable = setting.variable
        if variable.group != group:
            group = variable.group
            print(f"[{group}]")
        shown = variable.display(setting.value)
        print(f"  {variable.name:<{width}}  {shown}  ({setting.source})")
    defaults = len(effective.settings) - len(shown_settings)
    if defaults:
        print(
            f"({defaults} other variable{'s' if defaults > 1 else ''} at "
            "their defaults: --all prints them)"
        )
    missing = platform.missing_extras(effective)
    if missing:
        for problem in missing:
            print(problem, file=sys.stderr)
        return 2
    env = effective.running_env
    if env is None:
        print("platform rules not checked: RUNNING_ENV is unset (or pass --env)")
        return 0
    violated = platform.violations(effective, env)
    if violated:
        print(PlatformError(env, violated), file=sys.stderr)
        return 1
    print(f"RUNNING_ENV={env}: every platform rule holds")
    return 0


_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_QUOTES = ("'", '"')


def env_file(path):
    """The variables of a file of ``NAME=value`` lines, as ``docker run
    --env-file`` reads it, plus an optional ``export`` and quotes around the
    value. The file's lines are never echoed: they hold secrets."""
    try:
        with open(path, encoding="utf-8") as file:
            lines = file.read().splitlines()
    except OSError as error:
        raise argparse.ArgumentTypeError(
            f"cannot read {path}: {error.strerror}."
        ) from None
    environ = {}
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, equals, value = re.sub(r"^export\s+", "", line).partition("=")
        if not equals or not _VARIABLE_NAME.fullmatch(name):
            # Not even the name: a space for the '=' makes it hold the value.
            raise argparse.ArgumentTypeError(
                f"{path}, line {number}: expected NAME=value, NAME made of "
                "letters, digits and _, not starting with a digit, right "
                "before the '=' (the line is not shown: it may hold a secret)."
            )
        if len(value) >= 2 and value[0] == value[-1] and value[0] in _QUOTES:
            value = value[1:-1]
        environ[name] = value
    return environ


def reference(args):
    """Print the configuration reference (the table in docs/configuration.md)."""
    print(config.reference(), end="")
    return 0


def _counts(counts, dry_run):
    shown = ", ".join(f"{name} {number}" for name, number in sorted(counts.items()))
    return f"{shown or 'no session found'}{' (dry run)' if dry_run else ''}"


def sessions_import(args):
    """Copy filesystem sessions into Redis; exit 2 on bad settings, 1 when
    Redis or the directory cannot be read."""
    try:
        # Imported here: the store needs redis, an extra that the other
        # commands do without (MissingExtra, a ConfigError, when it is absent).
        from .sessions.store import sessions_from_config

        store = sessions_from_config(config.load(groups=("sessions",)))
        counts = import_sessions(args.dir, store, dry_run=args.dry_run)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    except (SessionStoreUnavailable, OSError) as error:
        print(error, file=sys.stderr)
        return 1
    print(_counts(counts, args.dry_run))
    return 0


def sessions_vacuum(args):
    """Delete filesystem sessions older than ``--max-age``."""
    try:
        counts = vacuum(args.dir, args.max_age, dry_run=args.dry_run)
    except OSError as error:
        print(error, file=sys.stderr)
        return 1
    print(_counts(counts, args.dry_run))
    return 0


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 24 * 3600}


def age(raw):
    """Seconds from ``90``, ``90s``, ``30m``, ``12h`` or ``7d``."""
    match = re.fullmatch(r"(\d+)([smhd]?)", raw.strip())
    if not match or int(match[1]) == 0:
        raise argparse.ArgumentTypeError(f"{raw!r} is not an age such as 7d or 12h")
    return int(match[1]) * _UNITS[match[2] or "s"]


def odoo_hook(args):
    """Have Odoo's database operations keep object storage files in every
    process of this Python environment, ``odoo-bin db`` included."""
    print(f"written: {import_hook.install_pth(args.site_packages)}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="odoo-cloud", description="Operate the Odoo cloud platform suite."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    checker = commands.add_parser(
        "check",
        help="print the variables set, exit 2 if a variable is invalid or needs "
        "an extra not installed, 1 if it breaks a rule of the running environment",
    )
    checker.add_argument(
        "--env",
        choices=platform.RUNNING_ENVIRONMENTS,
        help="check against this running environment instead of RUNNING_ENV's",
    )
    checker.add_argument(
        "--env-file",
        metavar="FILE",
        type=env_file,
        help="check the NAME=value lines of FILE (# comments, export and quotes "
        "allowed) instead of the process environment, which is then ignored",
    )
    checker.add_argument(
        "--all",
        action="store_true",
        help="print every variable, those left to their defaults too",
    )
    checker.set_defaults(run=check)
    commands.add_parser(
        "reference", help="print every variable, its default and meaning (Markdown)"
    ).set_defaults(run=reference)
    importer = commands.add_parser(
        "sessions-import",
        help="copy Odoo's filesystem sessions into Redis (ODOO_SESSION_REDIS_*)",
    )
    importer.add_argument("--dir", required=True, help="Odoo's session_dir")
    importer.add_argument("--dry-run", action="store_true", help="write nothing")
    importer.set_defaults(run=sessions_import)
    vacuumer = commands.add_parser(
        "sessions-vacuum",
        help="delete filesystem sessions not saved for --max-age (run from cron)",
    )
    vacuumer.add_argument("--dir", required=True, help="Odoo's session_dir")
    vacuumer.add_argument(
        "--max-age", required=True, type=age, help="e.g. 7d, 12h, 30m or seconds"
    )
    vacuumer.add_argument("--dry-run", action="store_true", help="delete nothing")
    vacuumer.set_defaults(run=sessions_vacuum)
    hook = commands.add_parser(
        "odoo-hook",
        help="have odoo-bin db duplicate, dump, load and drop (and the web "
        "database manager) keep object storage files: writes odoo-cloud.pth",
    )
    hook.add_argument(
        "--site-packages", help="where (default: this environment's site-packages)"
    )
    hook.set_defaults(run=odoo_hook)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
