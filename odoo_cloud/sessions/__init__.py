"""HTTP sessions in Redis, and the cleaner of filesystem sessions.

Nothing here imports Odoo: ``session_redis`` hands the store Odoo's session
class and key functions, and the ``odoo-cloud`` command line uses the same
store to import filesystem sessions.

The names below are imported on first use, so that reading the session
variables (:mod:`.variables`) does not load redis, an extra of odoo-cloud.
"""

import importlib
import sys

from ..extras import Extra

EXTRA = Extra("redis", ("redis",))
FEATURE = "the Redis session store"

_MODULE_OF = {
    "connect": ".connection",
    "describe": ".connection",
    "Outage": ".outage",
    "MAX_INACTIVITY_PARAMETER": ".store",
    "RedisSessions": ".store",
    "RedisSessionStore": ".store",
    "idle_lifetime": ".store",
    "sessions_from_config": ".store",
}
__all__ = [*_MODULE_OF, "is_redis_store"]


def __getattr__(name):
    if name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    with EXTRA.needed_by(FEATURE):
        module = importlib.import_module(_MODULE_OF[name], __name__)
    return getattr(module, name)


def is_redis_store(session_store):
    """Whether ``session_store`` is a :class:`RedisSessionStore`, asked
    without loading redis: there is none before its module is imported."""
    store = sys.modules.get(f"{__name__}.store")
    return store is not None and isinstance(session_store, store.RedisSessionStore)
