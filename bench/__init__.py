"""Benchmarks: each prints its figures and their ratio to a baseline measured
in the same run, never asserts. Run one from the checkout's root, as a
module: ``.venv/bin/python -m bench.metrics``."""
