"""``ir.attachment`` content in an object store.

New content goes to
``<scheme>://<write bucket>/<prefix><namespace>/<sha1[:2]>/<sha1>``
when ``ir_attachment.location`` names a backend that an installed addon
provides (``attachment_s3``, ...); every other record keeps being read where
it is (filestore, database, another bucket, another database's namespace).
The namespace, downloads, garbage collection and migration live in the
modules named after them.

A database whose location names a backend sets up its store as it loads, or
refuses to load (:mod:`odoo_cloud.startup`: while Odoo starts, it stops Odoo
with one line): Odoo would otherwise write new files to the filestore.
"""

import logging

from odoo import _, api, models
from odoo.exceptions import UserError
from odoo.tools.mimetypes import guess_mimetype
from werkzeug.exceptions import ServiceUnavailable

from odoo_cloud import health
from odoo_cloud.errors import (
    ObjectNotFound,
    StorageError,
    StorageUnavailable,
    Unavailable,
)
from odoo_cloud.startup import refusing_to_start
from odoo_cloud.storage import BACKENDS, Location, content_key
from odoo_cloud.storage.configured import database_write_store
from odoo_cloud.unavailable_page import unavailable_response
from odoo_cloud_adapter import attachments, database_operations, options, servers

from ..settings import settings, stores

_logger = logging.getLogger(__name__)
_disabled_read_logged = False


class ObjectStorageUnavailable(ServiceUnavailable, Unavailable):
    """Answered 503: the content exists but cannot be read now.

    ``ir.http`` answers it with
    :func:`~odoo_cloud.unavailable_page.unavailable_response`: a JSON-RPC call
    gets Odoo's error object with this message, any other request the outage
    page."""

    service = StorageUnavailable.service

    def __call__(self, environ, start_response):
        """The same answer where Odoo calls it as a WSGI application without
        asking ``ir.http`` (``--dev=werkzeug``)."""
        return unavailable_response(self)(environ, start_response)


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    def _register_hook(self):
        """Set up the store ``ir_attachment.location`` names; while Odoo
        starts, also reach it, as readiness does. A database operation
        (duplicate, restore, ...) loads a database this server may not
        serve: it is left alone."""
        super()._register_hook()
        if database_operations.running():
            return
        with refusing_to_start("base_attachment_object_storage"):
            store = database_write_store(
                super()._storage(),
                self.env.cr.dbname,
                self._object_storage_schemes(),
                options.running_env(),
            )
            if store and servers.starting():
                health.object_store_check(lambda: [store])()

    @api.model
    def _object_storage_schemes(self):
        """The object store backends of this database: those whose addon
        (each backend descriptor names it) is loaded in the registry."""
        loaded = self.env.registry._init_modules
        return [b.scheme for b in BACKENDS.values() if b.addon in loaded]

    @api.model
    def _object_storage_scheme(self):
        """The backend new content goes to, or None (filestore or database)."""
        location = super()._storage()
        if location in self._object_storage_schemes():
            return location
        return None

    @api.model
    def _storage(self):
        if self.env.context.get("object_storage_keep_in_db"):
            return "db"
        if self._object_storage_scheme() and settings()["DISABLE_ATTACHMENT_STORAGE"]:
            return "db"
        return super()._storage()

    @api.model
    def _object_write_store(self):
        return stores().write_store(self._object_storage_scheme(), self.env.cr.dbname)

    @api.model
    def _keep_in_database(self, mimetype, size):
        """True for content the ATTACHMENT_STORAGE_FORCE_DB rules keep in the
        database (asset bundles, small images, ...)."""
        return any(
            (mimetype or "").startswith(prefix) and (limit is None or size <= limit)
            for prefix, limit in settings()["ATTACHMENT_STORAGE_FORCE_DB"]
        )

    def _get_datas_related_values(self, data, mimetype):
        """Upload what goes to the object store here: every series decides
        here, once per content, where it goes (naming it through
        :meth:`_file_write` or :meth:`_get_path`, both below), and the row
        does not exist yet, so that a failed upload leaves no record."""
        if self._object_storage_scheme() and self._keep_in_database(
            mimetype, len(data)
        ):
            self = self.with_context(object_storage_keep_in_db=True)
        values = super()._get_datas_related_values(data, mimetype)
        if location := Location.parse(values["store_fname"]):
            self._put_object(location, data)
        return values

    @api.model
    def _get_storage_domain(self):
        scheme = self._object_storage_scheme()
        if not scheme or self._storage() == "db":
            return super()._get_storage_domain()
        return [
            "|",
            ("db_datas", "!=", False),
            "&",
            ("store_fname", "!=", False),
            ("store_fname", "not like", f"{self._object_write_root()}%"),
        ]

    @api.model
    def _get_path(self, bin_data, sha):
        """The object location of new content, ``(location, None)``: there is
        no local path."""
        if not self._object_storage_scheme():
            return super()._get_path(bin_data, sha)
        key = content_key(sha, self._object_key_prefix())
        return str(self._object_write_store().location(key)), None

    @api.model
    def _file_write(self, bin_value, checksum):
        """The object location of the content, uploaded already by
        :meth:`_get_datas_related_values`. 19.0 also calls this once the rows
        are written, for every content, even what the rules keep in the
        database: that must not reach the store."""
        if not self._object_storage_scheme():
            return super()._file_write(bin_value, checksum)
        location, _path = self._get_path(bin_value, checksum)
        return location

    @api.model
    def _put_object(self, location, data):
        """Upload ``data`` unless it is there; a store failure is an error the
        user sees, and the transaction rolls back (a store that does not
        answer makes it a 503: ``ir.http``)."""
        # Marked first: if this transaction rolls back, the GC reclaims it.
        self.env["object.storage.gc.mark"]._mark([str(location)])
        try:
            stores().at(location).put_if_absent(
                location.key, data, guess_mimetype(data)
            )
        except StorageError as error:
            _logger.error("New attachment not saved: %s.", error)
            message = _("The object storage failed to store the file: try again later.")
            raise UserError(message) from error

    @api.model
    def _file_read(self, fname, size=None):
        """The content at ``fname``, or its first ``size`` bytes (a ranged
        download)."""
        location = Location.parse(fname)
        if location is None:
            return attachments.read_file(super()._file_read, fname, size)
        self._check_storage_enabled()
        store = stores().at(location)
        try:
            if size is None:
                return store.get(location.key)
            return store.get_first(location.key, size)
        except ObjectNotFound:
            _logger.warning("attachment content missing in the object store: %s", fname)
            return b""
        except StorageUnavailable as error:
            _logger.error("Attachment content cannot be read now: %s.", error)
            raise ObjectStorageUnavailable(
                "The file storage is unavailable, try again later."
            ) from error

    @api.model
    def _file_delete(self, fname):
        if Location.parse(fname) is None:
            return super()._file_delete(fname)
        # Deleted later by the GC, once no committed attachment uses it.
        self.env["object.storage.gc.mark"]._mark([fname])

    @api.model
    def _check_storage_enabled(self):
        global _disabled_read_logged
        if not settings()["DISABLE_ATTACHMENT_STORAGE"]:
            return
        if not _disabled_read_logged:
            _logger.error(
                "attachment content in the object storage requested while "
                "DISABLE_ATTACHMENT_STORAGE=1: it cannot be read"
            )
            _disabled_read_logged = True
        raise ObjectStorageUnavailable(
            "The file storage is disabled (DISABLE_ATTACHMENT_STORAGE)."
        )
