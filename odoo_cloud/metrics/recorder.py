"""Where measurements go: every sink subscribed in this process.

The code that measures (the request meter, the session store, the object
stores) records each measurement once, here; the Prometheus and statsd sinks,
either, both or none, receive it. With no sink, recording is one test of an
empty tuple: a server without the monitoring addons pays next to nothing.

A sink has the methods ``increment``, ``observe``, ``set_gauge`` and
``adjust_gauge`` (each ``(metric, labels, value)``) and ``process_ended(pid)``.
A sink that raises never fails the request that measured: the error is logged
once per sink and method.
"""

import functools
import inspect
import logging
import time

from .catalog import OBJECT_STORE_DURATION, OBJECT_STORE_ERRORS

_logger = logging.getLogger(__name__)

_sinks = ()
_failed = set()

OBJECT_STORE_OPERATIONS = ("put", "get", "open", "head", "delete", "list")


def subscribe(sink):
    global _sinks
    if sink not in _sinks:
        _sinks = (*_sinks, sink)


def unsubscribe(sink):
    global _sinks
    _sinks = tuple(s for s in _sinks if s is not sink)


def sinks():
    return _sinks


def _send(method, *args):
    for sink in _sinks:
        try:
            getattr(sink, method)(*args)
        except Exception:
            if (type(sink), method) not in _failed:
                _failed.add((type(sink), method))
                _logger.exception(
                    "%s.%s failed; the measurement is lost", type(sink).__name__, method
                )


def increment(metric, labels=(), amount=1):
    if _sinks:
        _send("increment", metric, labels, amount)


def observe(metric, labels, value):
    if _sinks:
        _send("observe", metric, labels, value)


def set_gauge(metric, labels, value):
    if _sinks:
        _send("set_gauge", metric, labels, value)


def adjust_gauge(metric, labels, delta):
    if _sinks:
        _send("adjust_gauge", metric, labels, delta)


def process_ended(pid):
    """Process ``pid`` is dead: its gauges must not outlive it."""
    if _sinks:
        _send("process_ended", pid)


def measured(duration, errors, labels, expected=()):
    """Decorator: record the time of each call in ``duration`` and each
    exception (other than ``expected`` ones) in ``errors``.

    A generator function is timed over its whole iteration, so that a listing
    fetched page by page counts every page.
    """

    def decorate(function):
        def record(start, failure):
            if failure is not None and not isinstance(failure, expected):
                increment(errors, labels)
            observe(duration, labels, time.perf_counter() - start)

        if inspect.isgeneratorfunction(function):

            @functools.wraps(function)
            def measured_iteration(*args, **kwargs):
                if not _sinks:
                    return (yield from function(*args, **kwargs))
                start = time.perf_counter()
                try:
                    result = yield from function(*args, **kwargs)
                except GeneratorExit:  # the caller stopped early: no failure
                    record(start, None)
                    raise
                except Exception as error:
                    record(start, error)
                    raise
                record(start, None)
                return result

            return measured_iteration

        @functools.wraps(function)
        def measured_call(*args, **kwargs):
            if not _sinks:
                return function(*args, **kwargs)
            start = time.perf_counter()
            try:
                result = function(*args, **kwargs)
            except Exception as error:
                record(start, error)
                raise
            record(start, None)
            return result

        return measured_call

    return decorate


def measure_object_store(store, expected=()):
    """``store`` with each of its operations measured under its backend
    (``store.scheme``).

    The measured methods shadow the class's on the instance, so that an
    operation calling another (``exists`` calls ``head``) is measured too.
    """
    for operation in OBJECT_STORE_OPERATIONS:
        timer = measured(
            OBJECT_STORE_DURATION,
            OBJECT_STORE_ERRORS,
            (store.scheme, operation),
            expected,
        )
        setattr(store, operation, timer(getattr(store, operation)))
    return store
