"""Odoo's database operations (``odoo.service.db``) keep every file in
object storage, as they do with the filestore.

Each of the four functions both the web database manager and ``odoo-bin db``
call is wrapped once (:func:`install`); for a database that has nothing in
object storage each wrapper only calls Odoo's:

- duplicate: every namespace the original uses is held (pending) while the
  database is copied, then the copy settles its own namespace and holds what
  it uses: no object is copied;
- dump ("zip" with filestore): every object the database uses is streamed
  into ``filestore/<sha1[:2]>/<sha1>``, where Odoo puts its filestore;
- restore: the rows point at the dump's files, then the database moves them
  into its own namespace (the migration engine), so that it never depends
  on, writes to or deletes from the original's;
- drop: the database's holds are released, and what it owns and nobody
  holds is deleted.
"""

import collections
import contextlib
import contextvars
import functools
import io
import logging
import os
import shutil
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor

from odoo_cloud.errors import ObjectNotFound, StorageError
from odoo_cloud.storage import READ_SIZE, Location
from odoo_cloud.storage.configured import configured_stores
from odoo_cloud.storage.ownership import (
    IDENTITY_SQL,
    NAMESPACE_PARAMETER,
    Namespace,
    group_by_root,
    release_database,
    root_for,
)

_logger = logging.getLogger(__name__)
# While Odoo runs one of these operations in this thread, a registry it loads
# must not settle its namespace: the wrapper does, once Odoo is done.
_running = contextvars.ContextVar("odoo_cloud_database_operation", default=False)
# Objects smaller than this are fetched ahead, in parallel, into memory.
PREFETCH_MAX = 1024**2


def running():
    """True while a wrapped database operation runs in this thread."""
    return _running.get()


def install(db_module):
    """Wrap the operations of ``db_module`` (``odoo.service.db``), once."""
    for name, wrapper in WRAPPERS.items():
        original = getattr(db_module, name)
        if not hasattr(original, "odoo_cloud_wraps"):
            setattr(db_module, name, _wrapped(original, wrapper))


def _wrapped(original, wrapper):
    @functools.wraps(original)
    def operation(*args, **kwargs):
        return wrapper(original, *args, **kwargs)

    operation.odoo_cloud_wraps = original
    return operation


def _stores():
    from .options import running_env

    return configured_stores(running_env())


@contextlib.contextmanager
def _cursor(dbname):
    import odoo.sql_db

    with contextlib.closing(odoo.sql_db.db_connect(dbname).cursor()) as cr:
        yield cr


@contextlib.contextmanager
def _operation():
    token = _running.set(True)
    try:
        yield
    finally:
        _running.reset(token)


def _object_rows(cr):
    """``[(store_fname, checksum)]`` of the rows whose content is in object
    storage: empty for a database without the suite."""
    cr.execute("SELECT to_regclass('object_storage_gc_mark') IS NOT NULL")
    if not cr.fetchone()[0]:
        return []
    cr.execute(
        "SELECT DISTINCT store_fname, checksum FROM ir_attachment "
        "WHERE store_fname LIKE '%://%'"
    )
    return cr.fetchall()


def _parameter(cr, key):
    cr.execute("SELECT value FROM ir_config_parameter WHERE key = %s", [key])
    row = cr.fetchone()
    return row and row[0]


# Duplicate.


def duplicate(original, db_original_name, db_name, *args, **kwargs):
    with _cursor(db_original_name) as cr:
        roots = set(group_by_root(fname for fname, _sum in _object_rows(cr)))
    if not roots:
        return original(db_original_name, db_name, *args, **kwargs)
    stores = _stores()
    held = [Namespace(stores.get(r.scheme, r.bucket), r) for r in roots]
    pending = [(each, each.hold_everything()) for each in held]
    try:
        with _operation():
            result = original(db_original_name, db_name, *args, **kwargs)
        _settle(db_name)
    finally:
        for each, name in pending:
            each.release(name)
    return result


def _settle(dbname):
    """Load ``dbname``'s registry and settle its namespace (holds included)."""
    from odoo import SUPERUSER_ID, api
    from odoo.modules.registry import Registry

    with Registry(dbname).cursor() as cr:
        attachments = api.Environment(cr, SUPERUSER_ID, {})["ir.attachment"]
        if (
            hasattr(attachments, "_object_namespace")
            and attachments._object_storage_scheme()
        ):
            attachments._object_namespace()


# Dump.


def dump(original, db_name, stream, backup_format="zip", *args, **kwargs):
    with_filestore = args[0] if args else kwargs.get("with_filestore", True)
    objects = []
    if backup_format == "zip" and with_filestore:
        with _cursor(db_name) as cr:
            objects = _dumped_objects(cr)
    if not objects:
        return original(db_name, stream, backup_format, *args, **kwargs)
    if stream is None:
        archive = original(db_name, None, backup_format, *args, **kwargs)
        _add_objects(archive, objects)
        archive.seek(0)
        return archive
    with tempfile.TemporaryFile() as archive:
        original(db_name, archive, backup_format, *args, **kwargs)
        _add_objects(archive, objects)
        archive.seek(0)
        shutil.copyfileobj(archive, stream, READ_SIZE)
    return None


def _dumped_objects(cr):
    """``[(member, location, size)]``: where each content in object storage
    goes in the dump, as Odoo lays out its filestore."""
    if not _object_rows(cr):
        return []
    cr.execute(
        "SELECT DISTINCT ON (checksum) checksum, store_fname, file_size "
        "FROM ir_attachment WHERE store_fname LIKE '%://%' ORDER BY checksum"
    )
    return [
        (f"filestore/{checksum[:2]}/{checksum}", Location.parse(fname), size or 0)
        for checksum, fname, size in cr.fetchall()
    ]


def _add_objects(archive, objects):
    """Stream ``objects`` (:func:`_dumped_objects`) into the zip ``archive``.
    Objects up to :data:`PREFETCH_MAX` are fetched ahead, a few at a time,
    and a larger one is read as it is written: memory stays bounded."""
    stores = _stores()
    concurrency = stores.config["ATTACHMENT_STORAGE_CONCURRENCY"]
    archive.seek(0)
    missing = 0
    with (
        zipfile.ZipFile(archive, "a", zipfile.ZIP_DEFLATED) as zip_file,
        ThreadPoolExecutor(concurrency) as pool,
    ):
        present = set(zip_file.namelist())
        wanted = iter(each for each in objects if each[0] not in present)
        ahead = collections.deque()

        def fetch_ahead():
            while len(ahead) < 2 * concurrency and (each := next(wanted, None)):
                ahead.append((each, pool.submit(_fetch_small, stores, *each[1:])))

        fetch_ahead()
        while ahead:
            (member, location, _size), fetched = ahead.popleft()
            fetch_ahead()
            try:
                data = fetched.result()
                store = stores.at(location)
                body = store.open(location.key) if data is None else io.BytesIO(data)
            except ObjectNotFound:
                missing += 1
                _logger.warning("dump: %s missing from the store, left out", location)
                continue
            with body, zip_file.open(member, "w", force_zip64=True) as entry:
                shutil.copyfileobj(body, entry, READ_SIZE)
    _logger.info("dump: %d files from object storage, %d missing",
                 len(objects) - missing, missing)  # fmt: skip


def _fetch_small(stores, location, size):
    """The content of a small object, None for a large one (read as the
    archive is written)."""
    if size > PREFETCH_MAX:
        return None
    return stores.at(location).get(location.key)


# Restore.


def restore(original, db, dump_file, *args, **kwargs):
    with _operation():
        result = original(db, dump_file, *args, **kwargs)
    _adopt(db)
    return result


def _adopt(dbname):
    """Point the restored rows at the dump's files, then move them (and what
    the dump did not hold) into the database's own namespace."""
    from odoo import SUPERUSER_ID, api
    from odoo.modules.registry import Registry

    with Registry(dbname).cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        attachments = env["ir.attachment"]
        rows = _object_rows(cr)
        if not rows:
            return
        filestore = attachments._filestore()
        local = {
            fname: f"{checksum[:2]}/{checksum}"
            for fname, checksum in rows
            if checksum
            and os.path.isfile(os.path.join(filestore, checksum[:2], checksum))
        }
        cr.execute(
            "UPDATE ir_attachment SET store_fname = dumped.path "
            "FROM (SELECT unnest(%s) AS fname, unnest(%s) AS path) AS dumped "
            "WHERE ir_attachment.store_fname = dumped.fname",
            [list(local), list(local.values())],
        )
        cr.commit()
        _logger.info("restore: %d of %d files read from the dump",
                     len(local), len(rows))  # fmt: skip
        if attachments._object_storage_scheme() and attachments._storage() != "db":
            try:
                attachments._object_namespace()
            except StorageError as error:
                _logger.error(
                    "restore: the files stay in the filestore, the object storage "
                    "cannot take them (%s): run force_storage() once it can",
                    error,
                )
                return
            attachments._migrate_to_object_storage()
            cr.commit()
        elif len(local) < len(rows):
            _logger.warning(
                "restore: %d files are neither in the dump nor moved to this "
                "database's storage: they are read from the original's bucket",
                len(rows) - len(local),
            )


# Drop.


def drop(original, db_name):
    plan = None
    try:
        with _cursor(db_name) as cr:
            plan = _drop_plan(cr, db_name)
    except Exception as error:  # no such database, or not one of Odoo's
        _logger.info("DROP DB: %s: no object storage to clean (%s)", db_name, error)
    result = original(db_name)
    if result and plan:
        try:
            deleted = release_database(_stores(), *plan)
            _logger.info("DROP DB: %s: %d objects deleted", db_name, deleted)
        except Exception:
            _logger.exception(
                "DROP DB: %s: its objects could not all be deleted from %s",
                db_name, ", ".join(map(str, plan[2])) or "the store",
            )  # fmt: skip
    return result


def _drop_plan(cr, dbname):
    """The arguments of :func:`release_database` after ``dbname`` is
    dropped, read before; None for a database without the suite."""
    rows = _object_rows(cr)
    namespace = _parameter(cr, NAMESPACE_PARAMETER)
    if not namespace:
        return None
    cr.execute(IDENTITY_SQL)
    identity = cr.fetchone()[0]
    cr.execute("SELECT location FROM object_storage_gc_mark")
    marked = [row[0] for row in cr.fetchall()]
    references = group_by_root([*(fname for fname, _sum in rows), *marked])
    stores = _stores()
    prefix = stores.key_prefix(dbname)
    own = {root for root in references if root.namespace == namespace}
    for scheme in stores.write_schemes():
        bucket = stores.write_bucket(scheme, dbname)
        own.add(root_for(scheme, bucket, prefix, namespace))
    return identity, namespace, sorted(own), references


WRAPPERS = {
    "exp_duplicate_database": duplicate,
    "dump_db": dump,
    "restore_db": restore,
    "exp_drop": drop,
}
