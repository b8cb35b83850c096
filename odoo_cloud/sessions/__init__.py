"""HTTP sessions in Redis, and the cleaner of filesystem sessions.

Nothing here imports Odoo: ``session_redis`` hands the store Odoo's session
class and key functions, and the ``odoo-cloud`` command line uses the same
store to import filesystem sessions.

The names below are imported on first use, so that reading the session
variables (:mod:`.variables`) does not load redis.
"""

import importlib

_MODULE_OF = {
    "connect": ".connection",
    "describe": ".connection",
    "Outage": ".outage",
    "MAX_INACTIVITY_PARAMETER": ".store",
    "RedisSessions": ".store",
    "RedisSessionStore": ".store",
    "SessionStoreUnavailable": ".store",
    "idle_lifetime": ".store",
    "sessions_from_config": ".store",
}
__all__ = list(_MODULE_OF)


def __getattr__(name):
    if name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_MODULE_OF[name], __name__), name)
