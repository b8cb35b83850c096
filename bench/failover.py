"""Users keep working while the platform loses a part, then another.

K simulated users (threads, ``--users``, 20 by default) log in, upload an
attachment, download it, check its sha1 and log out, again and again,
through HAProxy in front of three Odoo instances (sessions in a Sentinel
group, attachments in Swift's S3 API: :mod:`local_platform.topology`), while,
one after another with ``--quiet`` seconds between them: (a) the Redis master
is killed and Sentinel promotes the replica, (b) the Swift proxy is stopped
for ``--swift-outage`` seconds, (c) an Odoo instance is killed and started
again. The report (:mod:`local_platform.load`) gives the requests per HTTP
status, the failures inside and outside each outage window, the latency per
phase, the sessions lost and the attachments lost or corrupt.

Every server is started here and stopped at the end. Figures are printed,
never asserted (``tests/odoo/test_failover.py`` asserts the goal on a short
run). Run: ``ODOO_SRC=/path/to/odoo .venv/bin/python -m bench.failover``.
"""

import argparse
import tempfile
import time

from local_platform.load import failover_run
from local_platform.serve import WORKERS
from local_platform.topology import INSTANCES, run_platform

from .measure import odoo_tree


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--quiet", type=float, default=30, help="seconds")
    parser.add_argument("--swift-outage", type=float, default=10, help="seconds")
    options = parser.parse_args()
    tree, why_not = odoo_tree()
    if tree is None:
        print(f"Skipped: {why_not}")
        return
    with tempfile.TemporaryDirectory(prefix="bench-failover-") as tmp:
        started = time.monotonic()
        print(f"Starting the platform (Odoo {tree.series}), installing...")
        with run_platform(tree, tmp) as platform:
            print(
                f"{INSTANCES} instances x {WORKERS} workers behind {platform.url}, "
                f"ready in {time.monotonic() - started:.0f} s; {options.users} "
                f"users, {options.quiet:.0f} s quiet between the faults"
            )
            report = failover_run(
                platform, options.users, options.quiet, options.swift_outage
            )
            print(f"\nOdoo {tree.series}\n{report.text()}")


if __name__ == "__main__":
    main()
