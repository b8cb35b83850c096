"""Odoo's HTTP application and requests (``odoo.http``).

- :func:`wrap_application` puts a WSGI middleware around
  ``Application.__call__``: the request ids of JSON logs, and the request
  meter (:func:`measure_requests`), which answers the probe endpoints and
  measures every request once whatever the monitoring addons loaded;
- :func:`thread_state` reads what Odoo keeps on the thread serving a
  request: its database, user and SQL counters, which
  :func:`count_sql_on_access_lines` copies onto the request's access line;
- :func:`ask_session_store_first` has Odoo ask the Redis session store
  before a login and before it gives a new session its cookie.
"""

import functools
import logging
import threading
import time
from typing import NamedTuple

import odoo.http

from odoo_cloud.metrics.http import RequestMeter

from .sessions import is_redis_store


def wrap_application(middleware):
    """Have every request go through ``middleware(app, environ,
    start_response)``, where ``app`` is Odoo's application (or what an
    earlier middleware made of it)."""
    application_class = odoo.http.Application
    call = application_class.__call__

    @functools.wraps(call)
    def __call__(self, environ, start_response):
        return middleware(call.__get__(self), environ, start_response)

    application_class.__call__ = __call__


class ThreadState(NamedTuple):
    """What Odoo keeps on the thread serving a request (or running a cron
    job); None for what it does not hold (yet, or any more)."""

    database: str | None
    uid: int | None
    # Set in Application.__call__ and counted by odoo.sql_db; the query count
    # is deleted once the access line is logged (odoo.netsvc.PerfFilter).
    queries: int | None
    sql_seconds: float | None
    started: float | None  # time.time() when the request came in


def thread_state():
    """The :class:`ThreadState` of the calling thread."""
    thread = threading.current_thread()
    return ThreadState(
        getattr(thread, "dbname", None),
        getattr(thread, "uid", None),
        getattr(thread, "query_count", None),
        getattr(thread, "query_time", None),
        getattr(thread, "perf_t0", None),
    )


class SqlCounters(logging.Filter):
    """Copies the counters Odoo keeps per request onto its access line, as
    numbers; Odoo itself only prints them as text (``perf_info``)."""

    def filter(self, record):
        state = thread_state()
        if state.queries is not None and state.started is not None:
            record.sql_count = state.queries
            record.sql_time_ms = round(state.sql_seconds * 1000, 3)
            record.duration_ms = round((time.time() - state.started) * 1000, 3)
        return True


def count_sql_on_access_lines():
    """Have each access line carry its request's SQL count, SQL time and
    duration (``sql_count``, ``sql_time_ms``, ``duration_ms``)."""
    # First: Odoo's PerfFilter deletes the counters once it has read them.
    logging.getLogger("werkzeug").filters.insert(0, SqlCounters())


def _request_counters():
    """(database, SQL queries, SQL seconds) of the request this thread just
    served, as :class:`RequestMeter` takes them."""
    state = thread_state()
    return (
        state.database,
        0 if state.queries is None else state.queries,
        0.0 if state.sql_seconds is None else state.sql_seconds,
    )


METER = RequestMeter(counters=_request_counters)
_measured = False


def measure_requests():
    """Have every request go through :data:`METER` (once per process); the
    meter."""
    global _measured
    if not _measured:
        _measured = True
        wrap_application(METER)
    return METER


# Odoo reads a session from the store only when the request carries a cookie.
# A new session gets its cookie at the end of the request without being
# stored, and a login checks the password, logs "Login successful" and only
# then stores the session. While Redis is down, a first visit would get a page
# and a cookie that every following request (its stylesheets first) answers
# 503 to, and a login would be logged as successful and answer 503.
#
# So Redis must answer before a login and before a new session's cookie is
# set; nothing here asks it for a route that saves no session (/web/health,
# XML-RPC) nor for a static file. Both methods play the same role on every
# supported series; their arguments differ (18.0 authenticate(dbname,
# credential), 19.0 authenticate(env, credential) and _save_session(env=None))
# and are passed on unchanged.
_asking = False


def ask_session_store_first():
    """Make Odoo ping the Redis session store before a login and before it
    gives a new session its cookie (once per process)."""
    global _asking
    if not _asking:
        _asking = True
        session, request = odoo.http.Session, odoo.http.Request
        session.authenticate = _pinging_first(session.authenticate)
        request._save_session = _pinging_for_new_cookie(request._save_session)


def _ping():
    store = odoo.http.root.session_store
    if is_redis_store(store):
        store.ping()


def _pinging_first(authenticate):
    @functools.wraps(authenticate)
    def pinging_first(self, *args, **kwargs):
        _ping()
        return authenticate(self, *args, **kwargs)

    return pinging_first


def _pinging_for_new_cookie(save_session):
    @functools.wraps(save_session)
    def pinging_for_new_cookie(self, *args, **kwargs):
        # Odoo sets the cookie of a new session without storing it.
        if self.session.can_save and self.session.is_new:
            _ping()
        return save_session(self, *args, **kwargs)

    return pinging_for_new_cookie
