"""Garbage collection of the objects no committed ``ir.attachment`` uses."""

import logging

from odoo import api, models

from odoo_cloud.storage import StorageError
from odoo_cloud.storage.gc import plan_collection

from ..settings import settings

_logger = logging.getLogger(__name__)


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    @api.autovacuum
    def _gc_object_storage(self):
        """Delete the marked objects no committed attachment uses any more."""
        scheme = self._object_storage_scheme()
        if not scheme or settings()["DISABLE_ATTACHMENT_STORAGE"]:
            return
        store = self._object_write_store()
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
        plan = plan_collection(marks.values(), referenced, scheme, store.bucket)
        if settings()["ATTACHMENT_STORAGE_GC_DRY_RUN"]:
            _logger.info("object storage gc (dry run): %d checked, %d would be deleted",
                         len(marks), len(plan.delete))  # fmt: skip
            cr.rollback()
            return
        failed = set()
        for location in plan.delete:
            try:
                store.delete(location.key)
            except StorageError as error:
                _logger.warning(
                    "object storage gc could not delete %s: %s", location, error
                )
                failed.add(str(location))
        done = [mark for mark, location in marks.items() if location not in failed]
        cr.execute("DELETE FROM object_storage_gc_mark WHERE id = ANY(%s)", [done])
        _logger.info(
            "object storage gc: %d checked, %d deleted, %d outside %s kept, %d failed",
            len(marks), len(plan.delete) - len(failed), len(plan.foreign),
            store.location(""), len(failed),
        )  # fmt: skip
        cr.commit()
