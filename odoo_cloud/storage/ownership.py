"""Which database owns an object, and which other databases still use it.

Several databases may share a bucket, and a copy of a database (duplicate,
restored dump, a ``pg_dump`` made by hand) starts with the original's rows, so
it references the original's objects. The rules that keep every file:

- A database writes new content under a namespace of its own,
  ``<prefix><namespace>/<sha1[:2]>/<sha1>`` (its *root* is
  ``<prefix><namespace>/``); the namespace is its ``database.uuid`` unless
  another database claimed that one first.
- The root's ``owner`` object is the claim: the identity of the PostgreSQL
  database that created it. Only that database may delete in the root; any
  copy has another identity, so it owns nothing it was copied with.
- A database that references objects in a root it does not own writes a
  *hold* there, ``holds/<its namespace>``, listing those keys; the owner never
  deletes a held key. A hold written before a copy exists (``pending-...``)
  holds every key until it expires.
- A root whose claim is gone belongs to a dropped database: whoever releases
  the last hold on a key of it deletes that key.

Keys written before namespaces existed (``<prefix><sha1[:2]>/<sha1>``) have
no owner: no database deletes them.
"""

import gzip
import json
import re
import time
import uuid
from typing import NamedTuple

from ..errors import ObjectNotFound
from .base import Location

# The namespace of a root, then the content key Odoo's filestore layout gives.
NAMESPACED = re.compile(
    r"^(?P<root>(?:.*/)?(?P<namespace>[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12})/)"
    r"[0-9a-f]{2}/[0-9a-f]{40}$"
)
CLAIM = "owner"
# The system parameter in which a database records its namespace.
NAMESPACE_PARAMETER = "attachment_storage.namespace"
HOLDS = "holds/"
PENDING = "pending-"
# A pending hold outlives any duplicate; one left by a killed duplicate then
# stops holding everything (the copy holds what it uses once it runs).
PENDING_LIFETIME = 24 * 3600


class Root(NamedTuple):
    """A database's place in one bucket: every key under ``prefix``."""

    scheme: str
    bucket: str
    prefix: str  # ``<key prefix><namespace>/``

    @classmethod
    def of(cls, location):
        """The root holding ``location`` (a :class:`Location`), or None for a
        key outside any namespace."""
        found = NAMESPACED.match(location.key)
        if not found:
            return None
        return cls(location.scheme, location.bucket, found["root"])

    @property
    def namespace(self):
        return self.prefix.rstrip("/").rpartition("/")[2]

    def location(self, key=""):
        return Location(self.scheme, self.bucket, self.prefix + key)

    def __str__(self):
        return str(self.location())


def root_for(scheme, bucket, key_prefix, namespace):
    return Root(scheme, bucket, f"{key_prefix}{namespace}/")


def new_namespace():
    return str(uuid.uuid4())


def content_keys(store, root):
    """Every content key under ``root`` in ``store``: its objects, without the
    bookkeeping (claim, holds)."""
    return [key for key in store.list(root.prefix) if NAMESPACED.match(key)]


class Holds(NamedTuple):
    """What the holds on a root keep: ``everything`` while a pending hold
    lives, else the union of ``keys``."""

    everything: bool
    keys: frozenset

    def keep(self, key):
        return self.everything or key in self.keys


class Namespace:
    """The bookkeeping of one root, in the store that holds it."""

    def __init__(self, store, root):
        self.store = store
        self.root = root

    def __repr__(self):
        return f"Namespace({self.root})"

    # The claim.

    def claim(self, identity):
        """Make ``identity`` the owner unless someone is; True when it is
        the owner now."""
        owner = self.root.prefix + CLAIM
        document = json.dumps({"postgres": identity}).encode()
        if self.store.put_if_absent(owner, document, "application/json"):
            return True
        return self.owner() == identity

    def owner(self):
        """The identity that claimed the root, None once it was dropped."""
        try:
            document = self.store.get(self.root.prefix + CLAIM)
        except ObjectNotFound:
            return None
        return json.loads(document).get("postgres")

    def renounce(self):
        self.store.delete(self.root.prefix + CLAIM)

    # Holds.

    def hold(self, holder, keys):
        """Record that ``holder`` (a namespace) uses ``keys`` of this root;
        no keys releases the hold."""
        if not keys:
            self.store.delete(self._hold_key(holder))
            return
        document = json.dumps({"keys": sorted(keys)}).encode()
        self.store.put(
            self._hold_key(holder), gzip.compress(document), "application/gzip"
        )

    def hold_everything(self):
        """A pending hold: every key of the root, until :meth:`release` or
        :data:`PENDING_LIFETIME`; its name, for :meth:`release`."""
        name = f"{PENDING}{new_namespace()}"
        expires = time.time() + PENDING_LIFETIME
        document = json.dumps({"expires": expires}).encode()
        self.store.put(
            self._hold_key(name), gzip.compress(document), "application/gzip"
        )
        return name

    def release(self, holder):
        self.store.delete(self._hold_key(holder))

    def holds(self, except_holder=None):
        """What every hold but ``except_holder``'s keeps (:class:`Holds`)."""
        everything, keys = False, set()
        for hold_key in self.store.list(self.root.prefix + HOLDS):
            holder = hold_key.rpartition("/")[2]
            if holder == except_holder:
                continue
            try:
                document = json.loads(gzip.decompress(self.store.get(hold_key)))
            except ObjectNotFound:  # released while listed
                continue
            if holder.startswith(PENDING):
                everything |= document["expires"] > time.time()
            else:
                keys.update(document["keys"])
        return Holds(everything, frozenset(keys))

    def _hold_key(self, holder):
        return f"{self.root.prefix}{HOLDS}{holder}"

    # Deletion.

    def delete_unheld(self, keys, holds=None):
        """Delete those of ``keys`` no hold keeps; the keys deleted."""
        holds = holds or self.holds()
        deleted = [key for key in keys if not holds.keep(key)]
        for key in deleted:
            self.store.delete(key)
        return deleted


def group_by_root(locations):
    """``{root: {key, ...}}`` of the namespaced ``locations`` (strings);
    others (filestore paths, keys outside namespaces) are left out."""
    grouped = {}
    for value in locations:
        location = Location.parse(value)
        root = location and Root.of(location)
        if root:
            grouped.setdefault(root, set()).add(location.key)
    return grouped


# The PostgreSQL database itself: its cluster and its oid. A copy of any kind
# (CREATE DATABASE ... TEMPLATE, pg_dump and restore, a dump loaded twice) is
# another database; a renamed one, or a replica promoted, is the same.
IDENTITY_SQL = (
    "SELECT concat_ws(':', (SELECT system_identifier FROM pg_control_system()), oid) "
    "FROM pg_database WHERE datname = current_database()"
)


def settle(write_store, key_prefix, identity, recorded, database_uuid):
    """The namespace the database writes to, claimed for ``identity``: the
    ``recorded`` one if the database owns it, else its ``database_uuid`` if
    free, else a new one. ``(namespace, changed)``: a changed namespace must
    be recorded, and the database must hold what it uses elsewhere
    (:func:`hold_references`)."""
    candidates = [recorded] if recorded else []
    if database_uuid and database_uuid != recorded:
        candidates.append(database_uuid)
    for candidate in [*candidates, new_namespace()]:
        root = root_for(write_store.scheme, write_store.bucket, key_prefix, candidate)
        if Namespace(write_store, root).claim(identity):
            return candidate, candidate != recorded
    raise AssertionError("a new namespace is always free")


def hold_references(stores, namespace, references):
    """Hold, for ``namespace``, what ``references`` (``{root: keys}``, the
    database's rows grouped by :func:`group_by_root`) uses outside it."""
    for root, keys in references.items():
        if root.namespace != namespace:
            Namespace(stores.get(root.scheme, root.bucket), root).hold(namespace, keys)


def release_database(stores, identity, namespace, own_roots, references):
    """What a dropped database leaves: its holds released (and where the
    owner was dropped too, what nobody holds any more deleted), and in each
    of ``own_roots`` it owns, every object nobody holds, then its claim.
    ``references`` (``{root: keys}``) holds what its rows and its GC marks
    named: the objects a listing may not show yet (Swift updates its
    listings after the write). The number of objects deleted."""
    deleted = 0
    for root, keys in references.items():
        if root.namespace == namespace:
            continue
        foreign = Namespace(stores.get(root.scheme, root.bucket), root)
        foreign.release(namespace)
        if foreign.owner() is None:
            deleted += len(foreign.delete_unheld(keys))
    for root in own_roots:
        own = Namespace(stores.get(root.scheme, root.bucket), root)
        if own.owner() != identity:
            continue
        keys = set(content_keys(own.store, root)) | references.get(root, set())
        deleted += len(own.delete_unheld(keys))
        own.renounce()
    return deleted
