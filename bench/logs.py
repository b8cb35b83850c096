"""Records per second of the JSON formatter, against the formatter Odoo
itself installs on its log handler and plain python-json-logger, all measured
in this run on the same records.

Run it with the Python environment of an Odoo series, where ``odoo`` is
importable (``make setup`` builds one per tree of ``ODOO_SRC``):

    .venv/odoo-19.0/bin/python -m bench.logs

With another Python, Odoo's formatter is left out, and the script says so.
"""

import logging
import os
import sys
import threading
import timeit

from odoo_cloud import logs

from .measure import best_of

RECORDS_PER_ROUND = 20_000
ROUNDS = 9


def sample_records():
    """What an Odoo log is made of: module lines and werkzeug access lines,
    made by the record factory of the process (Odoo's, once it set up its
    logging)."""

    def record(name, msg, args, **extra):
        made = logging.getLogger(name).makeRecord(
            name, logging.INFO, __file__, 1, msg, args, None
        )
        made.__dict__.update(extra)
        return made

    return [
        record("odoo.modules.loading", "%s modules loaded in %.2fs", (13, 0.57)),
        record("odoo.addons.base.models.ir_cron", "Job `%s` done.", ("Mail: queue",)),
        record(
            "werkzeug",
            '127.0.0.1 - - [01/May/2024 12:00:00] "%s" %s %s\n',
            ("POST /web/dataset/call_kw/res.partner/search_read HTTP/1.1", "200", "-"),
            perf_info="7 0.003 0.009",
            duration_ms=12.5,
            sql_count=7,
            sql_time_ms=3.25,
        ),
    ]


def odoo_formatter():
    """The formatter Odoo puts on its handler when it logs to a file, or None
    and why not. Odoo sets up its logging here as ``odoo-bin`` does, into
    ``os.devnull``: nothing is written, only the formatter is kept."""
    try:
        from odoo import release
        from odoo.tools import config
    except ImportError:
        return None, (
            f"odoo is not importable from {sys.executable}: Odoo's formatter "
            "was not measured (run with .venv/odoo-<series>/bin/python)"
        )
    config.parse_config(["--logfile", os.devnull], setup_logging=True)
    (handler,) = logging.getLogger().handlers
    formatter = handler.formatter
    kind = f"{type(formatter).__module__}.{type(formatter).__qualname__}"
    return formatter, f"Odoo's own formatter: {kind}, Odoo {release.version}"


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
    odoo_text, odoo_note = odoo_formatter()
    records = sample_records()
    ours = logs.JsonFormatter(
        environment="prod",
        redactor=logs.Redactor(["a-secret-value", "another-one"]),
        context=lambda: {"db": thread.dbname, "uid": thread.uid},
    )
    logs.start_request("bench")
    plain = logs._JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    formatters = {
        "logging_json (odoo_cloud.logs)": ours,
        "python-json-logger, plain": plain,
    }
    if odoo_text is not None:
        formatters["Odoo's own formatter"] = odoo_text
    results = best_of(
        {name: records_per_second(f, records) for name, f in formatters.items()},
        ROUNDS,
    )
    for name, rate in results.items():
        print(f"{name:34} {rate:>10,.0f} records/s")
    ours_rate = results["logging_json (odoo_cloud.logs)"]
    for name, rate in list(results.items())[1:]:
        print(f"ratio logging_json / {name}: {ours_rate / rate:.2f}")
    print(odoo_note)


if __name__ == "__main__":
    main()
