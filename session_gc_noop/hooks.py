"""Odoo never walks ``session_dir`` to expire sessions.

Two things do in Odoo 18: the ``ir.http`` autovacuum (``_gc_sessions``) and
the filesystem store's ``vacuum`` it calls. On shared storage that walk is
slow and runs in every instance; Redis expires its keys by itself, and
``odoo-cloud sessions-vacuum`` cleans a filesystem ``session_dir`` from a cron.
"""

import logging

from odoo_cloud_adapter import sessions

_logger = logging.getLogger(__name__)


def post_load():
    sessions.skip_session_gc()
    _logger.info("In-process session GC disabled (session_gc_noop)")
