"""``ir.attachment`` content in an object store.

New content goes to ``<scheme>://<write bucket>/<prefix><sha1[:2]>/<sha1>``
when ``ir_attachment.location`` names a backend that an installed addon
provides (``attachment_s3``, ...); every other record keeps being read where
it is (filestore, database, another bucket).
"""

import contextlib
import functools
import logging
import os

from odoo import _, api, models
from odoo.exceptions import AccessError, UserError
from odoo.http import Stream, request
from odoo.tools import split_every
from odoo.tools.mimetypes import guess_mimetype
from werkzeug.exceptions import ServiceUnavailable
from werkzeug.wsgi import wrap_file

from odoo_cloud.storage import (
    BACKENDS,
    READ_SIZE,
    Location,
    ObjectNotFound,
    StorageError,
    StorageUnavailable,
    content_key,
)
from odoo_cloud.storage.gc import plan_collection
from odoo_cloud.storage.migration import Item, Migration, fetch_verified, upload_to
from odoo_cloud.unavailable_page import UnavailableResponse

from ..download_redirect import redirect_response
from ..settings import settings, stores

_logger = logging.getLogger(__name__)
_disabled_read_logged = False
UNAVAILABLE = UnavailableResponse("the file storage")


class ObjectStorageUnavailable(ServiceUnavailable):
    """Answered 503: the content exists but cannot be read now.

    A JSON-RPC call gets Odoo's error object with this message (``ir.http``);
    any other request gets the outage page (Odoo answers the exception of an
    HTTP route by calling it as a WSGI application)."""

    def __call__(self, environ, start_response):
        return UNAVAILABLE(environ, start_response)


class ObjectStream(Stream):
    """An object's content, downloaded only if something reads it.

    It is a ``'data'`` stream so that ``ir.binary`` handles it as it handles
    content Odoo holds itself: it names the download (forced filename, the
    record's name, ``{table}-{id}-{field}``, an extension from the mimetype)
    and resizes images. ``data`` is fetched from the store on first read
    (mimetype guessing, resizing, :meth:`read`) and can be replaced (a resized
    image); a response whose ``data`` was never read streams the object
    instead: only the bytes sent are downloaded, ranges included.
    """

    type = "data"
    _data = None

    @property
    def data(self):
        if self._data is None:
            self._data = self.fetch()
        return self._data

    @data.setter
    def data(self, data):
        self._data = data

    def get_response(self, as_attachment=None, immutable=None, **send_file_kwargs):
        if self._data is not None:
            return super().get_response(as_attachment, immutable, **send_file_kwargs)
        # Odoo builds the headers (type, disposition, cache, CSP) on an empty
        # body; the object's body then goes through werkzeug's conditional
        # handling, which answers Range requests by seeking the reader.
        conditional = send_file_kwargs.pop("conditional", self.conditional)
        headers_only = Stream(**{**vars(self), "type": "data", "data": b""})
        response = headers_only.get_response(
            as_attachment, immutable, **send_file_kwargs, conditional=False
        )
        environ = request.httprequest.environ
        reader = self.store.reader(self.key, self.size)
        response.response = wrap_file(environ, reader, READ_SIZE)
        response.content_length = self.size
        if conditional:
            response = response.make_conditional(
                environ, accept_ranges=True, complete_length=self.size
            )
        return redirect_response(self, response) or response


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

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
        scheme = self._object_storage_scheme()
        return stores().get(scheme, stores().write_bucket(scheme, self.env.cr.dbname))

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
        store = self._object_write_store()
        return [
            "|",
            ("db_datas", "!=", False),
            "&",
            ("store_fname", "!=", False),
            ("store_fname", "not like", f"{store.location('')}%"),
        ]

    @api.model
    def _get_path(self, bin_data, sha):
        """The object location of new content, ``(location, None)``: there is
        no local path."""
        if not self._object_storage_scheme():
            return super()._get_path(bin_data, sha)
        key = content_key(sha, stores().key_prefix(self.env.cr.dbname))
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
            # Only a series whose _file_read takes ``size`` passes one.
            if size is None:
                return super()._file_read(fname)
            return super()._file_read(fname, size)
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

    def _to_http_stream(self):
        location = Location.parse(self.store_fname)
        if location is None:
            return super()._to_http_stream()
        self._check_storage_enabled()
        store = stores().at(location)
        try:
            info = store.head(location.key)
        except ObjectNotFound:
            _logger.warning("attachment %s missing in the object store: %s",
                            self.id, self.store_fname)  # fmt: skip
            # As Odoo does for a file missing from the filestore: empty content.
            return Stream(type="data", data=b"", size=0, mimetype=self.mimetype,
                          download_name=self.name, etag=self.checksum)  # fmt: skip
        except StorageUnavailable as error:
            _logger.error(
                "Attachment %s cannot be downloaded now: %s; answering 503.",
                self.id,
                error,
            )
            raise ObjectStorageUnavailable(
                "The file storage is unavailable, try again later."
            ) from error
        return ObjectStream(
            fetch=functools.partial(self._file_read, self.store_fname),
            store=store,
            key=location.key,
            mimetype=self.mimetype,
            download_name=self.name,
            etag=self.checksum,
            # As Odoo sends for content it keeps in the database; the store's
            # upload time is another date (Swift rounds it up to the second).
            last_modified=self.write_date,
            size=info.size,
            public=self.public,
        )

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
        prefix = stores().key_prefix(self.env.cr.dbname)
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
