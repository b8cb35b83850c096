"""Odoo never walks ``session_dir`` to expire sessions.

Two things do in Odoo 18: the ``ir.http`` autovacuum (``_gc_sessions``) and
the filesystem store's ``vacuum`` it calls. On shared storage that walk is
slow and runs in every instance; Redis expires its keys by itself, and
``odoo-cloud sessions-vacuum`` cleans a filesystem ``session_dir`` from a cron.
"""

import logging

import odoo.http
from odoo.addons.base.models.ir_http import IrHttp

_logger = logging.getLogger(__name__)


def _skip_session_gc(*args, **kwargs):
    """Session GC is left to Redis expiry or ``odoo-cloud sessions-vacuum``."""


def post_load():
    # Not decorated with @api.autovacuum: ir.autovacuum no longer lists it.
    IrHttp._gc_sessions = _skip_session_gc
    odoo.http.FilesystemSessionStore.vacuum = _skip_session_gc
    _logger.info("In-process session GC disabled (session_gc_noop)")
