"""Garbage collection of the objects no committed ``ir.attachment`` uses."""

import logging

from odoo import api, models

from odoo_cloud.storage.gc import Database, collect

from ..settings import settings, stores

_logger = logging.getLogger(__name__)


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    @api.autovacuum
    def _gc_object_storage(self):
        """Delete the marked objects no committed attachment uses any more,
        where this database may (``odoo_cloud.storage.gc``)."""
        scheme = self._object_storage_scheme()
        if not scheme or settings()["DISABLE_ATTACHMENT_STORAGE"]:
            return
        store = self._object_write_store()
        database = Database(
            identity=self._object_storage_identity(),
            namespace=self._object_namespace(),
            write_buckets=frozenset({(store.scheme, store.bucket)}),
            references=lambda root: self._object_references(root=root),
        )
        cr = self.env.cr
        # As Odoo's filestore GC: the LOCK must come first in its transaction,
        # so that it sees every attachment committed while it waited.
        cr.commit()
        cr.execute("SET LOCAL lock_timeout TO '10s'")
        cr.execute("LOCK ir_attachment IN SHARE MODE")
        cr.execute(
            "SELECT id, location FROM object_storage_gc_mark "
            "WHERE marked_at <= now() AT TIME ZONE 'UTC' - %s * interval '1 second'",
            [settings()["ATTACHMENT_STORAGE_GC_GRACE"]],
        )
        marks = dict(cr.fetchall())
        cr.execute(
            "SELECT store_fname FROM ir_attachment WHERE store_fname = ANY(%s)",
            [list(set(marks.values()))],
        )
        referenced = {row[0] for row in cr.fetchall()}
        unreferenced = set(marks.values()) - referenced
        dry_run = settings()["ATTACHMENT_STORAGE_GC_DRY_RUN"]
        collected = collect(stores(), database, unreferenced, dry_run)
        if dry_run:
            _logger.info("object storage gc (dry run): %d checked, %d would be deleted",
                         len(marks), collected.deleted)  # fmt: skip
            cr.rollback()
            return
        done = [
            m for m, location in marks.items() if location not in collected.retained
        ]
        cr.execute("DELETE FROM object_storage_gc_mark WHERE id = ANY(%s)", [done])
        _logger.info(
            "object storage gc: %d checked, %d deleted, %d kept for later "
            "(held by another database, or the store failed)",
            len(marks), collected.deleted, len(collected.retained),
        )  # fmt: skip
        cr.commit()
