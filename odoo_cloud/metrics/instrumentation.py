"""What both monitoring addons hook into Odoo, once per process.

``monitoring_prometheus`` and ``monitoring_statsd`` each subscribe their sink
and call :func:`instrument`; whichever comes second finds the hooks in place,
so a request is measured once whatever the addons loaded. The hooks live here
rather than in either addon so that they exist once; they receive the
``odoo`` package from the addon, this package never imports it.

- ``Application.__call__`` goes through :data:`METER`, which answers the probe
  endpoints and measures every request;
- a prefork worker records its memory at each turn of its loop, and why it
  stops when Odoo recycles it;
- the prefork master counts the workers it kills for exceeding
  ``limit_time_real``, and reports each process it reaps as ended, so that
  no gauge of a dead process stays.

Each hooked method has the same name, signature and role on every supported
series (18.0, 19.0), so the hooks are the same on all of them.
"""

import functools
import os
import signal

from . import recorder
from .catalog import WORKER_RECYCLES
from .http import RequestMeter, sample_memory

METER = RequestMeter()
_instrumented = False


def instrument(odoo):
    """Hook the measures into Odoo (once); the request meter."""
    global _instrumented
    if not _instrumented:
        _instrumented = True
        _measure_requests(odoo.http.Application)
        _watch_workers(odoo.service.server)
        METER.memory_worker = process_worker(odoo)
        if METER.memory_worker:
            sample_memory(METER.memory_worker)
    return METER


def process_worker(odoo):
    """The ``worker`` label of a process that serves requests itself, without
    a prefork worker loop: ``gevent`` or ``threaded``; None in the prefork
    master, whose workers label themselves."""
    if odoo.evented:
        return "gevent"
    if not odoo.tools.config["workers"]:
        return "threaded"
    return None


def _measure_requests(application_class):
    call = application_class.__call__

    @functools.wraps(call)
    def __call__(self, environ, start_response):
        return METER(call.__get__(self), environ, start_response)

    application_class.__call__ = __call__


def recycle_reason(worker):
    """Why Odoo's ``Worker.check_limits`` just stopped ``worker``: its
    request count, else its memory (the only other limit it enforces), or
    None when its parent went away (no recycle)."""
    if worker.request_count >= worker.request_max:
        return "requests"
    if worker.ppid == os.getppid():
        return "memory"
    return None


def _watch_workers(server):
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


def at_server_start(odoo, callback):
    """Call ``callback`` when the prefork or threaded server starts serving
    (not for ``--stop-after-init``, nor in the gevent process)."""
    server = odoo.service.server
    for server_class in (server.PreforkServer, server.ThreadedServer):
        run = server_class.run

        def run_after_callback(self, preload=None, stop=False, _run=run):
            if not stop:
                callback()
            return _run(self, preload, stop)

        server_class.run = functools.wraps(run)(run_after_callback)
