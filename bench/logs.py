"""Records per second of the JSON formatter, against Odoo's own text formatter
(``odoo.netsvc.DBFormatter``, with Odoo's format) and plain python-json-logger,
all measured in this run on the same records.

    ODOO_SRC=/opt/odoo/18.0 .venv/bin/python bench/logs.py
"""

import sys
from pathlib import Path

# bench/measure.py starts its servers with the test harness.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import logging
import os
import threading
import timeit

from measure import best_of

from odoo_cloud import logs

RECORDS_PER_ROUND = 20_000
ROUNDS = 9
ODOO_FORMAT = (
    "%(asctime)s %(pid)s %(levelname)s %(dbname)s %(name)s: %(message)s %(perf_info)s"
)


def sample_records():
    """What an Odoo log is made of: module lines and werkzeug access lines."""

    def record(name, msg, args, **extra):
        made = logging.LogRecord(name, logging.INFO, __file__, 1, msg, args, None)
        made.perf_info = ""
        made.__dict__.update(extra)
        return made

    return [
        record("odoo.modules.loading", "%s modules loaded in %.2fs", (13, 0.57)),
        record("odoo.addons.base.models.ir_cron", "Job `%s` done.", ("Mail: queue",)),
        record(
            "werkzeug",
            '127.0.0.1 - - [01/May/2024 12:00:00] "%s" %s %s\n',
            ("POST /web/dataset/call_kw/res.partner/search_read HTTP/1.1", "200", "-"),
            duration_ms=12.5,
            sql_count=7,
            sql_time_ms=3.25,
        ),
    ]


def odoo_formatter():
    """Odoo's DBFormatter, or None and why not."""
    if not os.environ.get("ODOO_SRC"):
        return None, "ODOO_SRC is not set: Odoo's DBFormatter was not measured"
    sys.path.insert(0, os.environ["ODOO_SRC"])
    from odoo.netsvc import DBFormatter

    return DBFormatter(ODOO_FORMAT), None


def records_per_second(formatter, records):
    """A measure of ``formatter``'s records per second on ``records``."""
    count = RECORDS_PER_ROUND // len(records) * len(records)

    def measure():
        started = timeit.default_timer()
        for index in range(count):
            formatter.format(records[index % len(records)])
        return count / (timeit.default_timer() - started)

    return measure


def main():
    thread = threading.current_thread()
    thread.dbname, thread.uid = "prod", 2
    records = sample_records()
    ours = logs.JsonFormatter(
        environment="prod",
        redactor=logs.Redactor(["a-secret-value", "another-one"]),
        context=lambda: {"db": thread.dbname, "uid": thread.uid},
    )
    logs.start_request("bench")
    plain = logs._JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    odoo, reason = odoo_formatter()
    formatters = {
        "logging_json (odoo_cloud.logs)": ours,
        "python-json-logger, plain": plain,
    }
    if odoo is not None:
        formatters["Odoo text (netsvc.DBFormatter)"] = odoo
    results = best_of(
        {name: records_per_second(f, records) for name, f in formatters.items()},
        ROUNDS,
    )
    for name, rate in results.items():
        print(f"{name:34} {rate:>10,.0f} records/s")
    ours_rate = results["logging_json (odoo_cloud.logs)"]
    for name, rate in list(results.items())[1:]:
        print(f"ratio logging_json / {name}: {ours_rate / rate:.2f}")
    if reason:
        print(reason)


if __name__ == "__main__":
    main()
