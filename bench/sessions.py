"""How much the Redis session store costs, against baselines of the same run.

1. store get+save cycles per second vs raw redis-py GET+SET on the same
   redis-server (what a store without lifetimes or identifiers would send),
   and vs raw redis-py running the store's own scripts on the session as
   JSON (target ratio >= 0.9);
2. vs Odoo's own FilesystemSessionStore, when Odoo can be imported (run in
   the environment of an Odoo series);
3. ``get_missing_session_identifiers`` (the ``res.device`` cron) of 100,000
   identifiers with 10,000 and then 1,000,000 sessions stored: time per call
   and round trips, and the ratio of the two times (target: within 2x);
4. authenticated JSON-RPC requests per second on ``odoo-bin`` (prefork, 2
   workers) with and without ``session_redis`` (target ratio >= 0.95), when
   ``ODOO_SRC`` names an Odoo tree.

Every server is started here (``local_platform``) and stopped at the end.
Figures are printed, never asserted. Run:
``ODOO_SRC=/path/to/odoo .venv/odoo-18.0/bin/python -m bench.sessions``.
"""

import functools
import json
import tempfile
import time
from pathlib import Path

import requests

from local_platform.odoo_server import OdooInstance
from local_platform.postgres_server import run_postgres
from local_platform.redis_server import run_redis
from local_platform.session_store import make_store
from odoo_cloud.sessions.store import READ, WRITE

from .measure import (
    best_of,
    compare_odoo_servers,
    concurrent_rate,
    line,
    odoo_tree,
    paired_line,
    rate,
)

CLIENTS = 4  # concurrent JSON-RPC clients
ROUND = 1.0  # seconds per measure and round
# Odoo's rate moves by a tenth from one second to the next on a shared
# machine: longer rounds, and more of them, for the JSON-RPC pair.
RPC_ROUND = 3.0
RPC_ROUNDS = 8
DATA = {
    "uid": 2,
    "login": "admin",
    "db": "bench",
    "context": {"lang": "en_US", "tz": "Europe/Brussels", "uid": 2},
    "session_token": "x" * 64,
    "debug": "",
}


def raw_cycles(server):
    """A measure of raw redis-py GET+SET cycles per second."""
    client = server.client()
    key, value = "bench:raw", json.dumps(DATA)

    def cycle():
        client.get(key)
        client.set(key, value, ex=3600)

    return lambda: rate(cycle, ROUND)


def raw_script_cycles(server):
    """A measure of raw redis-py cycles running the store's read and write
    scripts on the session as JSON: the work of a get+save that any store
    keeping JSON sessions in Redis does, without the store around it."""
    client = server.client()
    read, write = client.register_script(READ), client.register_script(WRITE)
    key, sid = "bench:raw-scripts", "sid"
    write(keys=[key], args=[sid, json.dumps(DATA), 3600, "", 3600])

    def cycle():
        data = json.loads(read(keys=[key], args=[sid]))
        write(keys=[key], args=[sid, json.dumps(data), 3600, "", 3600])

    return lambda: rate(cycle, ROUND)


def store_cycles(store):
    """A measure of the store's get+save cycles per second."""
    session = store.new()
    session.update(DATA)
    store.save(session)
    sid = session.sid

    def cycle():
        store.save(store.get(sid))

    return lambda: rate(cycle, ROUND)


def odoo_session_classes():
    """Odoo's Session and FilesystemSessionStore, or None and why not."""
    try:
        import odoo.http
    except ImportError as error:
        reason = (
            f"Odoo cannot be imported ({error}): run in an Odoo series' environment"
        )
        return None, reason
    return (odoo.http.Session, odoo.http.FilesystemSessionStore), None


def fill(store, client, count):
    """Store ``count`` more logged-in sessions, through the store's own write
    script, in pipelines of 10,000; their sids."""
    sessions, data = store.sessions, json.dumps(DATA)
    write = client.register_script(WRITE)
    sids = []
    for start in range(0, count, 10_000):
        pipeline = client.pipeline(transaction=False)
        for _ in range(min(10_000, count - start)):
            sid = store.generate_key()
            args = [sid, data, sessions.expiration, "", sessions.expiration]
            write([sessions.key(sid)], args, client=pipeline)
            sids.append(sid)
        pipeline.execute()
    return sids


def missing_identifiers(store, sent, asked, rounds=3):
    """The best seconds of ``get_missing_session_identifiers(asked)``, and the
    round trips of one call."""
    best = float("inf")
    for _ in range(rounds):
        sent.clear()
        started = time.perf_counter()
        store.get_missing_session_identifiers(asked)
        best = min(best, time.perf_counter() - started)
    return best, len(sent)


def revocation_cron(redis_server, environ):
    """Item 3: the cron's question, asked with few and with many sessions."""
    store = make_store(environ | {"ODOO_SESSION_REDIS_PREFIX": "bench-cron"})
    client, sent = redis_server.counting_client()
    store.sessions._client._factory = lambda: client
    print("get_missing_session_identifiers, 100,000 identifiers (half stored)")
    sids = fill(store, client, 10_000)
    times = {}
    for stored in (10_000, 1_000_000):
        sids += fill(store, client, stored - len(sids))
        asked = [sid[:42] for sid in sids[:50_000]]
        asked += [store.generate_key()[:42] for _ in range(100_000 - len(asked))]
        seconds, round_trips = missing_identifiers(store, sent, asked)
        times[stored] = seconds
        line(f"{stored:,} sessions stored ({round_trips} round trips)",
             seconds * 1000, unit="ms")  # fmt: skip
    ratio = times[1_000_000] / times[10_000]
    print(f"  time with 1,000,000 vs 10,000 sessions: ratio {ratio:.2f}")


def redis_env(server):
    return {
        "ODOO_SESSION_REDIS": "1",
        "ODOO_SESSION_REDIS_HOST": server.host,
        "ODOO_SESSION_REDIS_PORT": str(server.port),
        "ODOO_SESSION_REDIS_PREFIX": "bench",
    }


def rpc_rate(server, database):
    """Authenticated /web/session/get_session_info calls per second."""

    def client():
        http = requests.Session()
        reply = http.post(
            f"{server.url}/web/session/authenticate",
            json={"params": {"db": database, "login": "admin", "password": "admin"}},
            timeout=30,
        )
        assert reply.json()["result"]["uid"] == 2, reply.text
        url = f"{server.url}/web/session/get_session_info"
        return lambda: http.post(url, json={}, timeout=30).raise_for_status()

    return concurrent_rate(client, CLIENTS, RPC_ROUND)


def main():
    tree, reason = odoo_tree()
    odoo_classes, import_reason = odoo_session_classes()
    with tempfile.TemporaryDirectory(prefix="bench-sessions-") as tmp:
        base = Path(tmp)
        with run_redis(base) as redis_server:
            environ = {
                key: value
                for key, value in redis_env(redis_server).items()
                if key != "ODOO_SESSION_REDIS"
            }
            store = make_store(environ)
            print("Session store, get+save cycles (one client, loopback Redis)")
            measures = {
                "raw redis-py GET+SET (baseline)": raw_cycles(redis_server),
                "raw redis-py, store's scripts + JSON (baseline)": raw_script_cycles(
                    redis_server
                ),
                "RedisSessionStore get+save": store_cycles(store),
            }
            if odoo_classes is not None:
                session_class, filesystem_store = odoo_classes
                odoo_store = make_store(environ)
                odoo_store.session_class = session_class
                fs_dir = base / "fs-sessions"
                fs_dir.mkdir()
                fs = filesystem_store(str(fs_dir), session_class=session_class)
                measures["Odoo FilesystemSessionStore (baseline)"] = store_cycles(fs)
                measures["RedisSessionStore with Odoo's Session"] = store_cycles(
                    odoo_store
                )
            results = best_of(measures, rounds=10)
            for name, value in results.items():
                baseline = {
                    "RedisSessionStore get+save": "raw redis-py GET+SET (baseline)",
                    "RedisSessionStore with Odoo's Session": (
                        "Odoo FilesystemSessionStore (baseline)"
                    ),
                }.get(name)
                line(name, value, results[baseline] if baseline else None)
            scripts = results["raw redis-py, store's scripts + JSON (baseline)"]
            store_vs_scripts = results["RedisSessionStore get+save"] / scripts
            print(f"  store get+save vs its scripts + JSON in raw redis-py: ratio "
                  f"{store_vs_scripts:.2f}")  # fmt: skip
            if odoo_classes is None:
                print(f"Odoo's filesystem store skipped: {import_reason}")
            revocation_cron(redis_server, environ)
            if tree is None:
                print(f"JSON-RPC skipped: {reason}")
                return
            print(f"JSON-RPC, {CLIENTS} clients, odoo-bin prefork 2 workers")
            with run_postgres(base) as postgres:
                instance = OdooInstance(tree, postgres, base / "odoo-data")
                database = instance.install("bench_sessions", ["web"])
                servers = {
                    "filesystem sessions (baseline)": (("base", "web"), {}),
                    "session_redis": (
                        ("base", "web", "session_redis"),
                        redis_env(redis_server),
                    ),
                }
                results = compare_odoo_servers(
                    instance, database, base, servers,
                    functools.partial(rpc_rate, database=database), rounds=RPC_ROUNDS,
                )  # fmt: skip
                baseline = results["filesystem sessions (baseline)"]
                line("filesystem sessions (baseline)", max(baseline))
                paired_line("session_redis", results["session_redis"], baseline)


if __name__ == "__main__":
    main()
