"""Odoo's servers and workers (``odoo.service.server``), measured.

:func:`measure_workers` hooks, once per process, whichever monitoring addon
asks first:

- a prefork worker records its memory at each turn of its loop, and why it
  stops when Odoo recycles it;
- the prefork master counts the workers it kills for exceeding
  ``limit_time_real``, and reports each process it reaps as ended, so that
  no gauge of a dead process stays;
- a process without a worker loop (gevent, threaded) has the request meter
  sample its memory after its requests.

:func:`at_server_start` runs a callback when the server starts serving;
:func:`starting` tells whether Odoo is starting in this thread.
Each hooked method has the same name, signature and role on every supported
series, so the hooks are the same on all of them.
"""

import functools
import os
import signal

import odoo
from odoo.service import server
from odoo.tools import config

from odoo_cloud import startup
from odoo_cloud.metrics import recorder
from odoo_cloud.metrics.catalog import WORKER_RECYCLES
from odoo_cloud.metrics.http import sample_memory

_measured = False


def measure_workers(meter):
    """Hook the worker measures into Odoo's servers (once per process);
    ``meter`` (a :class:`~odoo_cloud.metrics.http.RequestMeter`) samples
    the memory of a process that has no worker loop."""
    global _measured
    if not _measured:
        _measured = True
        _watch_workers()
        meter.memory_worker = process_worker()
        if meter.memory_worker:
            sample_memory(meter.memory_worker)


def process_worker():
    """The ``worker`` label of a process that serves requests itself, without
    a prefork worker loop: ``gevent`` or ``threaded``; None in the prefork
    master, whose workers label themselves."""
    if odoo.evented:
        return "gevent"
    if not config["workers"]:
        return "threaded"
    return None


def recycle_reason(worker):
    """Why Odoo's ``Worker.check_limits`` just stopped ``worker``: its
    request count, else its memory (the only other limit it enforces), or
    None when its parent went away (no recycle)."""
    if worker.request_count >= worker.request_max:
        return "requests"
    if worker.ppid == os.getppid():
        return "memory"
    return None


def _watch_workers():
    worker_class, master_class = server.Worker, server.PreforkServer
    check_limits = worker_class.check_limits
    worker_kill = master_class.worker_kill
    worker_pop = master_class.worker_pop

    @functools.wraps(check_limits)
    def check_limits_measured(self):
        sample_memory("cron" if isinstance(self, server.WorkerCron) else "http")
        alive = self.alive
        check_limits(self)
        if alive and not self.alive:
            reason = recycle_reason(self)
            if reason:
                recorder.increment(WORKER_RECYCLES, (reason,))

    @functools.wraps(worker_kill)
    def worker_kill_measured(self, pid, sig):
        # The master kills a worker with SIGKILL only when its watchdog
        # (limit_time_real) expired; stopping uses SIGINT and SIGTERM. Asked
        # before the call: since 19.0, worker_kill also unregisters the worker.
        if sig == signal.SIGKILL and pid in self.workers:
            recorder.increment(WORKER_RECYCLES, ("time",))
        return worker_kill(self, pid, sig)

    @functools.wraps(worker_pop)
    def worker_pop_measured(self, pid):
        worker_pop(self, pid)
        recorder.process_ended(pid)

    worker_class.check_limits = check_limits_measured
    master_class.worker_kill = worker_kill_measured
    master_class.worker_pop = worker_pop_measured


def at_server_start(callback):
    """Call ``callback`` when the prefork or threaded server starts serving
    (not for ``--stop-after-init``, nor in the gevent process)."""
    for server_class in (server.PreforkServer, server.ThreadedServer):
        run = server_class.run

        def run_after_callback(self, preload=None, stop=False, _run=run):
            if not stop:
                callback()
            return _run(self, preload, stop)

        server_class.run = functools.wraps(run)(run_after_callback)


def starting():
    """True in the thread where Odoo starts, which loads the databases of
    ``--database`` (and ``odoo-bin shell``'s) before anything is served; a
    request or a cron loads its database in another thread (the threaded
    server's, a prefork worker's work thread, a gevent greenlet)."""
    return startup.in_main_thread()
