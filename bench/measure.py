"""Helpers shared by the benchmark scripts: timing and printing ratios."""

import time


def rate(step, duration=3.0):
    """Calls of ``step`` per second over ``duration`` seconds."""
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < duration:
        step()
        count += 1
    return count / elapsed


def line(name, value, baseline=None, unit="/s"):
    """One result; with ``baseline``, its ratio to it."""
    ratio = f"  ratio {value / baseline:.2f}" if baseline else ""
    print(f"  {name:<44} {value:>10,.1f} {unit}{ratio}")
