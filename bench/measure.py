"""Helpers shared by the benchmark scripts: timing and printing ratios.

The servers come from ``local_platform``, as those of ``make run`` and the
tests.
"""

import concurrent.futures
import contextlib
import time

from local_platform.odoo_server import OdooServer
from local_platform.odoo_trees import usable_tree


def odoo_tree():
    """The Odoo tree the benchmarks serve (the first of ``ODOO_SRC``), or None,
    and why not."""
    try:
        return usable_tree(), None
    except ValueError as error:
        return None, str(error)


def rate(step, duration=3.0):
    """Calls of ``step`` per second over ``duration`` seconds."""
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < duration:
        step()
        count += 1
    return count / elapsed


def best_of(measures, rounds=5):
    """The best result of each of ``measures`` (name -> callable returning a
    figure, higher is better) over ``rounds``; the measures alternate within
    a round, so that a slow spell of the machine weighs on all of them."""
    best = dict.fromkeys(measures, 0.0)
    for _ in range(rounds):
        for name, measure in measures.items():
            best[name] = max(best[name], measure())
    return best


def line(name, value, baseline=None, unit="/s"):
    """One result; with ``baseline``, its ratio to it."""
    ratio = f"  ratio {value / baseline:.2f}" if baseline else ""
    print(f"  {name:<44} {value:>10,.1f} {unit}{ratio}")


def concurrent_rate(client, clients, duration):
    """Calls per second of ``clients`` threads together; each thread runs the
    step that ``client()`` returns (after its own setup, such as a login)."""
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        return sum(pool.map(lambda _: rate(client(), duration), range(clients)))


def compare_odoo_servers(instance, database, log_dir, servers, measure, rounds=5):
    """The best ``measure(server)`` of one ``odoo-bin`` (prefork, 2 workers) per
    entry of ``servers`` (name -> (``--load`` modules, environment)); all run
    at once, so that their rounds alternate."""
    with contextlib.ExitStack() as stack:
        measures = {}
        for name, (load, env) in servers.items():
            log_path = log_dir / f"odoo-{len(measures)}.log"
            server = OdooServer(
                instance, database, log_path, 2, load, env, ["--log-level=warn"]
            )
            server.start()
            stack.callback(server.stop)
            measure(server)  # warm the registry and caches
            measures[name] = lambda server=server: measure(server)
        return best_of(measures, rounds)
