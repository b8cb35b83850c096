"""Which marked objects the garbage collector deletes.

Objects are never deleted inside a transaction: the attachment code marks
every location it writes or stops using, and the collector later looks at the
marked objects no committed attachment references (:mod:`.ownership` says
who may delete what):

- in a root this database owns, in a bucket it writes to, it deletes those
  no other database holds (a production database restored on integration
  reads the production bucket but never deletes from it);
- in a root another database owns, it rewrites its own hold there to what it
  still uses, and where that owner was dropped, deletes what nobody holds;
- outside any namespace (keys written before namespaces), it deletes nothing.
"""

import logging
from typing import NamedTuple

from ..errors import StorageError
from .base import Location
from .ownership import Namespace, group_by_root

_logger = logging.getLogger(__name__)


class Collected(NamedTuple):
    deleted: int
    # Marks (strings) to look at again: held by another database, or their
    # store failed.
    retained: frozenset


class Database(NamedTuple):
    """What the collector knows of the database it collects for."""

    identity: str  # of its PostgreSQL database (``owner`` of its roots)
    namespace: str  # where its new content goes, the name of its holds
    write_buckets: frozenset  # ``(scheme, bucket)`` it writes to
    references: object  # root -> the keys of it the database's rows use


def collect(stores, database, unreferenced, dry_run=False):
    """Delete what may be deleted of the ``unreferenced`` marked locations
    (strings); a :class:`Collected`."""
    deleted, retained = 0, set()
    for root, keys in group_by_root(unreferenced).items():
        try:
            done, held = _collect_root(stores, database, root, keys, dry_run)
        except StorageError as error:
            _logger.warning("object storage gc could not clean %s: %s", root, error)
            done, held = 0, keys
        deleted += done
        retained |= {str(Location(root.scheme, root.bucket, key)) for key in held}
    return Collected(deleted, frozenset(retained))


def _collect_root(stores, database, root, keys, dry_run):
    """``(deleted, held)``: how many of ``keys`` were deleted, and those
    another database holds (the owner looks at them again later)."""
    namespace = Namespace(stores.get(root.scheme, root.bucket), root)
    owner = namespace.owner()
    if owner == database.identity:
        if (root.scheme, root.bucket) not in database.write_buckets:
            return 0, ()
        holds = namespace.holds()
        held = {key for key in keys if holds.keep(key)}
        if not dry_run:
            namespace.delete_unheld(keys - held, holds)
        return len(keys - held), held
    if root.namespace == database.namespace or dry_run:
        return 0, ()
    namespace.hold(database.namespace, database.references(root))
    if owner is None:
        return len(namespace.delete_unheld(keys)), ()
    return 0, ()
