"""The namespace of this database in its bucket, and its holds on others'
(``odoo_cloud.storage.ownership`` holds the rules)."""

import logging

from odoo import api, models

from odoo_cloud.errors import StorageError
from odoo_cloud.storage.ownership import (
    IDENTITY_SQL,
    NAMESPACE_PARAMETER,
    group_by_root,
    hold_references,
    root_for,
    settle,
)
from odoo_cloud_adapter import database_operations

from ..settings import settings, stores

_logger = logging.getLogger(__name__)
# Processes settling the same database take turns (pg_advisory_xact_lock).
SETTLE_LOCK = 0x0D00C10D
# (database name, identity) -> namespace, once settled in this process.
_settled = {}


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    def _register_hook(self):
        """Settle as the database loads: a copy holds what it uses of the
        original before the original's GC runs."""
        super()._register_hook()
        if not self._object_storage_scheme() or database_operations.running():
            return
        try:
            if not settings()["DISABLE_ATTACHMENT_STORAGE"]:
                self._object_namespace()
        except StorageError as error:
            _logger.warning(
                "object storage namespace not settled yet (%s): "
                "done on the first upload or garbage collection",
                error,
            )

    @api.model
    def _object_storage_identity(self):
        self.env.cr.execute(IDENTITY_SQL)
        return self.env.cr.fetchone()[0]

    @api.model
    def _object_namespace(self):
        """The namespace new content of this database goes to, owned by it."""
        identity = self._object_storage_identity()
        key = (self.env.cr.dbname, identity)
        if key not in _settled:
            _settled[key] = self._settle_object_namespace(identity)
        return _settled[key]

    @api.model
    def _object_key_prefix(self):
        """``<key prefix><namespace>/``: where new content is written."""
        return self._object_write_root().prefix

    @api.model
    def _object_write_root(self):
        store = self._object_write_store()
        return root_for(
            store.scheme, store.bucket, stores().key_prefix(self.env.cr.dbname),
            self._object_namespace(),
        )  # fmt: skip

    @api.model
    def _settle_object_namespace(self, identity):
        """Claim the namespace on a cursor of its own, committed at once: an
        upload that rolls back has claimed it all the same."""
        store = self._object_write_store()
        with self.env.registry.cursor() as cr:
            cr.execute("SELECT pg_advisory_xact_lock(%s)", [SETTLE_LOCK])
            cr.execute(
                "SELECT key, value FROM ir_config_parameter WHERE key = ANY(%s)",
                [[NAMESPACE_PARAMETER, "database.uuid"]],
            )
            parameters = dict(cr.fetchall())
            prefix = stores().key_prefix(cr.dbname)
            namespace, changed = settle(
                store, prefix, identity,
                parameters.get(NAMESPACE_PARAMETER), parameters.get("database.uuid"),
            )  # fmt: skip
            if changed:
                hold_references(stores(), namespace, self._object_references(cr))
                cr.execute(
                    "INSERT INTO ir_config_parameter (key, value) VALUES (%s, %s) "
                    "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                    [NAMESPACE_PARAMETER, namespace],
                )
                root = root_for(store.scheme, store.bucket, prefix, namespace)
                _logger.info("object storage: this database writes to %s", root)
        return namespace

    @api.model
    def _object_references(self, cr=None, root=None):
        """``{root: keys}`` of every object this database's rows use, or the
        keys of ``root`` alone."""
        cr = cr or self.env.cr
        pattern = f"{root.location()}%" if root else "%://%"
        cr.execute(
            "SELECT DISTINCT store_fname FROM ir_attachment WHERE store_fname LIKE %s",
            [pattern.replace("_", r"\_")],
        )
        grouped = group_by_root(row[0] for row in cr.fetchall())
        if root is None:
            return grouped
        return grouped.get(root, set())
