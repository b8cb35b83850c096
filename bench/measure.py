"""Helpers shared by the benchmark scripts: timing and printing ratios."""

import time


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
