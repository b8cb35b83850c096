"""HTTP sessions in Redis, and the cleaner of filesystem sessions.

Nothing here imports Odoo: the Odoo adapter layer puts Odoo's session-store
interface on top of :class:`.store.RedisSessions`
(``odoo_cloud_adapter.session_store``), and the ``odoo-cloud`` command line
uses the same sessions to import filesystem sessions.

The modules that talk to Redis (:mod:`.store`, :mod:`.connection`,
:mod:`.outage`) import redis, an extra of odoo-cloud, inside
``EXTRA.needed_by(FEATURE)``: without redis, importing one of them raises
:class:`~odoo_cloud.extras.MissingExtra` naming the extra. This package and
:mod:`.variables` need no redis, so that reading the configuration does not
load it.
"""

from ..extras import Extra

EXTRA = Extra("redis", ("redis",))
FEATURE = "the Redis session store"
