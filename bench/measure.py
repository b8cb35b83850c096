"""Helpers shared by the benchmark scripts: timing and printing ratios.

The servers come from ``local_platform``, as those of ``make run`` and the
tests.
"""

import concurrent.futures
import contextlib
import statistics
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


def each_round(measures, rounds=5):
    """The figures of each of ``measures`` (name -> callable returning a
    figure, higher is better), one per round; the measures alternate within
    a round, so that a slow spell of the machine weighs on all of them."""
    figures = {name: [] for name in measures}
    for _ in range(rounds):
        for name, measure in measures.items():
            figures[name].append(measure())
    return figures


def best_of(measures, rounds=5):
    """The best figure of each of ``measures`` over ``rounds``."""
    return {name: max(values) for name, values in each_round(measures, rounds).items()}


def line(name, value, baseline=None, unit="/s"):
    """One result; with ``baseline``, its ratio to it."""
    ratio = f"  ratio {value / baseline:.2f}" if baseline else ""
    print(f"  {name:<44} {value:>10,.1f} {unit}{ratio}")


def paired_line(name, values, baseline):
    """A result measured round by round beside ``baseline``'s: its best, and
    the median of the ratios of its rounds to the baseline's, which neither a
    slow spell shared by both nor one lucky round moves."""
    ratios = [value / base for value, base in zip(values, baseline, strict=True)]
    print(
        f"  {name:<44} {max(values):>10,.1f} /s  ratio "
        f"{statistics.median(ratios):.2f} (median of {len(ratios)} rounds)"
    )


def concurrent_rate(client, clients, duration):
    """Calls per second of ``clients`` threads together; each thread runs the
    step that ``client()`` returns (after its own setup, such as a login)."""
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        return sum(pool.map(lambda _: rate(client(), duration), range(clients)))


def compare_odoo_servers(instance, database, log_dir, servers, measure, rounds=5):
    """``measure(server)`` per round of one ``odoo-bin`` (prefork, 2 workers)
    per entry of ``servers`` (name -> (``--load`` modules, environment)); all
    run at once, so that their rounds alternate."""
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
        return each_round(measures, rounds)
