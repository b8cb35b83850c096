"""Migration of ``ir.attachment`` content to an object store and back
(``force_storage``), batch by batch through the engine of
``odoo_cloud.storage.migration``."""

import contextlib
import logging
import os

from odoo import _, api, models
from odoo.exceptions import AccessError
from odoo.tools import split_every

from odoo_cloud.storage import Location
from odoo_cloud.storage.migration import Item, Migration, fetch_verified, upload_to

from ..settings import settings, stores

_logger = logging.getLogger(__name__)


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    @api.model
    def force_storage(self):
        if not self.env.is_admin():
            raise AccessError(_("Only administrators can execute this action."))
        if self._storage() != "db" and self._object_storage_scheme():
            return self._migrate_to_object_storage()
        if self._attachments_to_move(self._in_object_storage_domain(), limit=1):
            return self._migrate_from_object_storage()
        return super().force_storage()

    @api.model
    def _in_object_storage_domain(self):
        return [("store_fname", "=like", "%://%")]

    @api.model
    def _attachments_to_move(self, domain, limit=None):
        """Ids of the binary attachments matching ``domain``, field ones too."""
        return self.search(
            [*domain, ("type", "=", "binary"),
             "|", ("res_field", "=", False), ("res_field", "!=", False)],
            order="id", limit=limit,
        ).ids  # fmt: skip

    def _migration_item(self):
        """An engine :class:`Item` reading this attachment where it is now."""
        if self.db_datas:
            data = self.db_datas
            read = lambda: data  # noqa: E731
        elif location := Location.parse(self.store_fname):
            read = lambda: stores().at(location).get(location.key)  # noqa: E731
        else:
            path = self._full_path(self.store_fname)

            def read():
                with open(path, "rb") as file:
                    return file.read()

        return Item(self.id, self.checksum, read, self.mimetype)

    @api.model
    def _run_migration(self, ids, transfer, commit):
        """Run the engine over ``ids`` batch by batch, committing each batch."""
        batch_size = settings()["ATTACHMENT_STORAGE_BATCH_SIZE"]

        def batches():
            for chunk in split_every(batch_size, ids):
                records = self.browse(chunk)
                yield [record._migration_item() for record in records]
                self.env.invalidate_all()

        migration = Migration(
            transfer, commit, settings()["ATTACHMENT_STORAGE_CONCURRENCY"], _logger
        )
        report = migration.run(batches(), len(ids))
        _logger.info("attachment migration finished: %s", report)
        return report

    @api.model
    def _migrate_to_object_storage(self):
        store = self._object_write_store()
        prefix = self._object_key_prefix()
        ids = self._attachments_to_move(self._get_storage_domain())
        kept = set(
            self.browse(ids)
            .filtered(lambda a: a._keep_in_database(a.mimetype, a.file_size))
            .ids
        )
        moving = [i for i in ids if i not in kept]
        _logger.info("moving %d attachments to %s (%d kept in the database)",
                     len(moving), store.location(""), len(kept))  # fmt: skip
        self.browse(sorted(kept))._move_local_files_to_database()
        return self._run_migration(moving, upload_to(store, prefix), self._commit_moved)

    def _move_local_files_to_database(self):
        """Move what the rules keep in the database out of the filestore too,
        so that no file of the database stays on the host's disk."""
        local = self.filtered(
            lambda a: a.store_fname and not Location.parse(a.store_fname)
        )
        batch_size = settings()["ATTACHMENT_STORAGE_BATCH_SIZE"]
        for chunk in split_every(batch_size, local.ids):
            records = self.browse(chunk)
            names = set(records.mapped("store_fname"))
            for record in records:
                record.write({"raw": record.raw, "mimetype": record.mimetype})
            self.env.cr.commit()
            self._unlink_unused_local_files(names)
            self.env.invalidate_all()

    def _commit_moved(self, done):
        """Point the moved rows at their objects, commit, then remove the local
        files no row uses any more: never before the batch is committed."""
        cr = self.env.cr
        old = {a.id: a.store_fname for a in self.browse([i.ident for i, _ in done])}
        self.env["object.storage.gc.mark"]._mark([result[0] for _item, result in done])
        for item, (location, _written) in done:
            cr.execute(
                "UPDATE ir_attachment SET store_fname = %s, db_datas = NULL "
                "WHERE id = %s",
                [location, item.ident],
            )
        cr.commit()
        self._unlink_unused_local_files(
            {name for name in old.values() if name and not Location.parse(name)}
        )

    @api.model
    def _unlink_unused_local_files(self, names):
        """Remove the filestore files ``names`` no committed row uses any more."""
        if not names:
            return
        cr = self.env.cr
        cr.execute("SELECT store_fname FROM ir_attachment WHERE store_fname = ANY(%s)",
                   [list(names)])  # fmt: skip
        still_used = {row[0] for row in cr.fetchall()}
        for name in names - still_used:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._full_path(name))

    @api.model
    def _migrate_from_object_storage(self):
        ids = self._attachments_to_move(self._in_object_storage_domain())
        _logger.info("moving %d attachments from object storage to %s",
                     len(ids), self._storage())  # fmt: skip
        return self._run_migration(ids, fetch_verified, self._commit_fetched)

    def _commit_fetched(self, done):
        for item, (data, _written) in done:
            self.browse(item.ident).write({"raw": data})
        self.env.cr.commit()
