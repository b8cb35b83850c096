"""The platform's servers on this machine, on loopback: PostgreSQL, Redis
(standalone, Sentinel, Cluster), OpenStack Swift, moto, Prometheus, a statsd
receiver and Odoo of every supported series.

``make run`` (:mod:`.serve`) and ``make run-check`` (:mod:`.check`) serve and
check a whole platform with them, the benchmarks of ``bench/`` measure on
them, and the test fixtures (``tests/harness``) wrap them. They need no
pytest: what this machine lacks raises :class:`~.errors.Unavailable`, a server
that fails raises :class:`~.errors.ServerFailed`.
"""
