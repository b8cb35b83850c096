"""Health probes for load balancers and Kubernetes.

Liveness needs nothing: a process that answers is alive, and restarting it
would not bring a database back. Readiness checks what a request needs, each
component in its own thread and within a timeout, and answers::

    {"status": "ok"|"fail",
     "checks": {"database": {"status": "ok", "latency_ms": 1.2}, ...}}

with ``"error"`` on a failed component. Nothing here imports Odoo: the
``monitoring_prometheus`` addon hands over how to connect to the database,
the session store and the object stores.
"""

import contextlib
import functools
import threading
import time

# Longer errors are cut: a probe's body is read by people and machines.
MAX_ERROR = 300


def liveness():
    return True, {"status": "ok", "checks": {}}


def readiness(checks, timeout):
    """Run ``checks`` (component -> callable raising on failure) at the same
    time; (ready, body). A check still running after ``timeout`` seconds
    fails, and is left to finish on its own."""
    results = {}
    threads = []
    for component, check in checks.items():
        thread = threading.Thread(
            target=_run,
            args=(component, check, results),
            name=f"health-{component}",
            daemon=True,
        )
        thread.start()
        threads.append(thread)
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    body = {"status": "ok", "checks": {}}
    for component in checks:
        result = results.get(component) or {
            "status": "fail",
            "latency_ms": round(timeout * 1000, 3),
            "error": f"no answer within {timeout:g}s",
        }
        body["checks"][component] = result
        if result["status"] != "ok":
            body["status"] = "fail"
    return body["status"] == "ok", body


def without_errors(body):
    """A readiness ``body`` that says which component failed, not why."""
    checks = {
        component: {key: value for key, value in result.items() if key != "error"}
        for component, result in body["checks"].items()
    }
    return {**body, "checks": checks}


def _run(component, check, results):
    start = time.perf_counter()
    try:
        check()
    except Exception as error:
        result = {"status": "fail", "error": _describe(error)}
    else:
        result = {"status": "ok"}
    result["latency_ms"] = round((time.perf_counter() - start) * 1000, 3)
    results[component] = result


def _describe(error):
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:MAX_ERROR]


def database_check(connect, dbnames):
    """``SELECT 1`` in each of ``dbnames``; ``connect(dbname)`` returns a new
    DB-API connection (with its own connect timeout)."""

    def check():
        for dbname in dbnames:
            try:
                with (
                    contextlib.closing(connect(dbname)) as connection,
                    contextlib.closing(connection.cursor()) as cursor,
                ):
                    cursor.execute("SELECT 1")
                    cursor.fetchone()
            except Exception as error:
                raise RuntimeError(f"database {dbname!r}: {error}") from error

    return check


def object_store_check(write_stores):
    """Each store ``write_stores()`` returns answers a HEAD: a missing object
    is an answer. The stores are built now, outside the check's timeout (a
    process's first build imports its backend's library); an error building
    them fails the check, naming the extra of a library not installed."""
    try:
        stores = write_stores()
    except Exception as error:
        return functools.partial(_raise, error)

    def check():
        for store in stores:
            store.exists(".health")

    return check


def _raise(error):
    raise error
