"""HTTP sessions in Redis, and the cleaner of filesystem sessions.

Nothing here imports Odoo: ``session_redis`` hands the store Odoo's session
class and key functions, and the ``odoo-cloud`` command line uses the same
store to import filesystem sessions.

The modules that talk to Redis (:mod:`.store`, :mod:`.connection`,
:mod:`.outage`) import redis, an extra of odoo-cloud, inside
``EXTRA.needed_by(FEATURE)``: without redis, importing one of them raises
:class:`~odoo_cloud.extras.MissingExtra` naming the extra. This package and
:mod:`.variables` need no redis, so that reading the configuration does not
load it.
"""

import sys

from ..extras import Extra

EXTRA = Extra("redis", ("redis",))
FEATURE = "the Redis session store"


def is_redis_store(session_store):
    """Whether ``session_store`` is a :class:`.store.RedisSessionStore`, asked
    without loading redis: there is none before its module is imported."""
    store = sys.modules.get(f"{__name__}.store")
    return store is not None and isinstance(session_store, store.RedisSessionStore)
