"""What Odoo's database operations cost with files in object storage, against
plain Odoo's with the same files in its filestore, measured in the same run.

1. ``odoo-bin db dump`` of ``FILES`` files: the suite streams them from the
   bucket (Swift's S3 API on loopback), plain Odoo copies its filestore
   (target: at least 0.5x its speed);
2. ``odoo-bin db duplicate`` of the same databases, then of databases with
   ``LARGE_FILES`` files of ``LARGE_FILE_SIZE``: the suite copies no object,
   plain Odoo copies the filestore (target: faster; a ratio of seconds, under
   1 when the suite is faster);
3. the peak memory of ``odoo-bin db dump`` with those large files in the
   bucket (target: less than 100 MB above the same dump without files).

Every server is started here (``local_platform``) and stopped at the end.
Figures are printed, never asserted. Run:
``ODOO_SRC=/path/to/odoo .venv/bin/python -m bench.database_operations``.
"""

import subprocess
import tempfile
import time
from pathlib import Path

from local_platform.odoo_server import OdooInstance, clean_environ
from local_platform.postgres_server import run_postgres
from local_platform.swift_server import run_swift

from . import in_odoo
from .measure import line, odoo_tree

MB = 1024 * 1024
FILES = 1000
FILE_SIZE = 64 * 1024
LARGE_FILES = 100
LARGE_FILE_SIZE = 10 * MB
ROUNDS = 3
TEMPLATE = "bench_template"


def create_database(odoo, name, location, env, count, size):
    """A database with ``count`` random files of ``size`` bytes where
    ``location`` says (``s3`` or ``file``)."""
    odoo.install(name, ["attachment_s3"], template=TEMPLATE, env=env)
    for _ in range(0, count, 50):
        odoo.call(name, in_odoo.create_random_files, env=env,
                  location=location, count=50, size=size)  # fmt: skip
    return name


def timed(odoo, env, *args):
    """Seconds ``odoo-bin db <args>`` took."""
    start = time.perf_counter()
    subprocess.run(
        odoo.command(*args, subcommand="db"), env=clean_environ(env),
        check=True, capture_output=True,
    )  # fmt: skip
    return time.perf_counter() - start


def plain_and_suite(odoo, env, name, count, size):
    """The same files in two databases: plain Odoo's filestore (the
    baseline), then the bucket."""
    where = (("filestore (plain Odoo)", "file"), ("object storage", "s3"))
    return {
        title: create_database(odoo, f"{name}_{location}", location, env, count, size)
        for title, location in where
    }


def duplicate_seconds(odoo, env, database):
    """Seconds ``odoo-bin db duplicate`` of ``database`` took (the copy is
    dropped after)."""
    seconds = timed(odoo, env, "duplicate", database, f"{database}_copy")
    timed(odoo, env, "drop", f"{database}_copy")
    return seconds


def dump_and_duplicate(odoo, env, base):
    """Measures 1 and 2, both databases in turn, round by round."""
    databases = plain_and_suite(odoo, env, "bench", FILES, FILE_SIZE)
    dumps = {name: [] for name in databases}
    duplicates = {name: [] for name in databases}
    for _ in range(ROUNDS):
        for name, database in databases.items():
            path = base / f"{database}.zip"
            dumps[name].append(timed(odoo, env, "dump", database, str(path)))
            duplicates[name].append(duplicate_seconds(odoo, env, database))
    plain, suite = databases
    print(f"odoo-bin db dump of {FILES} files of {FILE_SIZE // 1024} KiB "
          f"(best of {ROUNDS}, files/s)")  # fmt: skip
    speed = {name: FILES / min(seconds) for name, seconds in dumps.items()}
    line(f"{plain} (baseline)", speed[plain], unit="files/s")
    line(suite, speed[suite], speed[plain], unit="files/s")
    print(f"odoo-bin db duplicate of the same (best of {ROUNDS}, seconds)")
    fastest = {name: min(seconds) for name, seconds in duplicates.items()}
    line(f"{plain} (baseline)", fastest[plain], unit="s")
    line(suite, fastest[suite], fastest[plain], unit="s")


def large_databases(odoo, env, base):
    """Measure 3, and the duplicates of measure 2 with ``LARGE_FILES`` files
    of ``LARGE_FILE_SIZE``, where copying them weighs."""
    empty = odoo.install("bench_empty", ["attachment_s3"], template=TEMPLATE, env=env)
    large = plain_and_suite(odoo, env, "bench_large", LARGE_FILES, LARGE_FILE_SIZE)
    seconds = {name: [] for name in large}
    for _ in range(ROUNDS):
        for name, database in large.items():
            seconds[name].append(duplicate_seconds(odoo, env, database))
    plain, suite = large
    total = LARGE_FILES * LARGE_FILE_SIZE // MB
    print(f"odoo-bin db duplicate with {total} MB of files (best of {ROUNDS}, seconds)")
    line(f"{plain} (baseline)", min(seconds[plain]), unit="s")
    line(suite, min(seconds[suite]), min(seconds[plain]), unit="s")

    # Each dump in a process of its own: ru_maxrss is the largest child's.
    peaks = {}
    for name, database in (("without files", empty), ("with files", large[suite])):
        script = (
            "import resource, subprocess, sys; "
            "subprocess.run(sys.argv[1:], check=True, capture_output=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
        )
        archive = str(base / "large.zip")
        command = odoo.command("dump", database, archive, subcommand="db")
        result = subprocess.run(
            ["python3", "-c", script, *command], env=clean_environ(env),
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        peaks[name] = int(result.stdout) * 1024 / MB
    print(f"Peak memory of odoo-bin db dump, {total} MB of files in the bucket")
    without, with_files = peaks["without files"], peaks["with files"]
    line("without files (baseline)", without, unit="MB")
    line("with the files", with_files, without, unit="MB")
    line("growth (target < 100)", with_files - without, unit="MB")


def main():
    tree, reason = odoo_tree()
    if tree is None:
        print(f"skipped: {reason}")
        return
    with tempfile.TemporaryDirectory(prefix="bench-dbops-") as tmp:
        base = Path(tmp)
        with run_swift(base / "swift") as swift, run_postgres(base) as postgres:
            odoo = OdooInstance(tree, postgres, base / "odoo-data")
            env = swift.s3_environ(AWS_BUCKETNAME="bench-dbops")
            odoo.install(TEMPLATE, ["attachment_s3"], env=env)
            dump_and_duplicate(odoo, env, base)
            large_databases(odoo, env, base)


if __name__ == "__main__":
    main()
