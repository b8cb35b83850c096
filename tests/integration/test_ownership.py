"""Who may delete an object, against every real store: claims, holds, the
garbage collector and a dropped database (odoo_cloud.storage.ownership)."""

import hashlib
import uuid

import pytest
from harness.object_stores import BACKENDS, backend_environ

from odoo_cloud.config import load
from odoo_cloud.storage import Stores, content_key
from odoo_cloud.storage.gc import Database, collect
from odoo_cloud.storage.ownership import (
    Namespace,
    group_by_root,
    hold_references,
    release_database,
    root_for,
    settle,
)

PROD, STAGING = "1111:16384", "1111:16385"  # two PostgreSQL databases


@pytest.fixture(params=BACKENDS)
def stores(request):
    return Stores(load(backend_environ(request, request.param)))


@pytest.fixture
def store(request, stores):
    scheme = request.node.callspec.params["stores"].split("-", 1)[0]
    return stores.get(scheme, f"test-{uuid.uuid4().hex[:12]}")


def put_files(store, prefix, *contents):
    """Upload ``contents`` under ``prefix``; their locations (strings)."""
    locations = []
    for data in contents:
        key = content_key(hashlib.sha1(data).hexdigest(), prefix)
        store.put(key, data)
        locations.append(str(store.location(key)))
    return locations


def database(store, identity, namespace, locations):
    """The collector's view of a database whose rows use ``locations``."""
    references = group_by_root(locations)
    return Database(
        identity, namespace, frozenset({(store.scheme, store.bucket)}),
        lambda root: references.get(root, set()),
    )  # fmt: skip


def test_a_namespace_belongs_to_the_database_that_claimed_it(store):
    prod_uuid = str(uuid.uuid4())
    namespace, changed = settle(store, "p/", PROD, None, prod_uuid)
    assert (namespace, changed) == (prod_uuid, True)
    assert settle(store, "p/", PROD, prod_uuid, prod_uuid) == (prod_uuid, False)
    # A copy keeps the original's parameters, not its PostgreSQL identity:
    # with the same database.uuid it gets a new namespace, with a new one that.
    copied, changed = settle(store, "p/", STAGING, prod_uuid, prod_uuid)
    assert changed and copied not in (prod_uuid, "")
    renewed = str(uuid.uuid4())
    assert settle(store, "p/", "1111:16386", prod_uuid, renewed) == (renewed, True)
    root = root_for(store.scheme, store.bucket, "p/", prod_uuid)
    assert Namespace(store, root).owner() == PROD


def test_the_owner_deletes_only_what_no_copy_holds(stores, store):
    prod_uuid, staging_uuid = str(uuid.uuid4()), str(uuid.uuid4())
    settle(store, "", PROD, None, prod_uuid)
    kept, shared, alone = put_files(
        store, f"{prod_uuid}/", b"kept", b"shared", b"alone"
    )
    # The copy (duplicate) uses ``kept`` and ``shared``.
    staging_rows = [kept, shared]
    settle(store, "", STAGING, prod_uuid, staging_uuid)
    hold_references(stores, staging_uuid, group_by_root(staging_rows))

    # Production no longer uses ``shared`` nor ``alone``.
    prod = database(store, PROD, prod_uuid, [kept])
    collected = collect(stores, prod, {shared, alone})
    assert collected.deleted == 1 and collected.retained == {shared}
    assert store.exists(key(shared)) and not store.exists(key(alone))

    # The copy stops using ``shared``: its hold shrinks, the owner deletes it.
    staging_rows.remove(shared)
    staging = database(store, STAGING, staging_uuid, staging_rows)
    assert collect(stores, staging, {shared}).deleted == 0
    assert store.exists(key(shared))
    assert collect(stores, prod, {shared}).deleted == 1
    assert not store.exists(key(shared)) and store.exists(key(kept))


def test_a_pending_hold_keeps_everything_until_released(stores, store):
    prod_uuid = str(uuid.uuid4())
    settle(store, "", PROD, None, prod_uuid)
    (unused,) = put_files(store, f"{prod_uuid}/", b"unused")
    root = root_for(store.scheme, store.bucket, "", prod_uuid)
    pending = Namespace(store, root).hold_everything()
    prod = database(store, PROD, prod_uuid, [])
    assert collect(stores, prod, {unused}) == (0, {unused})
    Namespace(store, root).release(pending)
    assert collect(stores, prod, {unused}).deleted == 1


def test_a_dropped_database_leaves_only_what_a_copy_holds(stores, store):
    prod_uuid, staging_uuid = str(uuid.uuid4()), str(uuid.uuid4())
    settle(store, "", PROD, None, prod_uuid)
    held, unheld = put_files(store, f"{prod_uuid}/", b"held", b"unheld")
    settle(store, "", STAGING, prod_uuid, staging_uuid)
    (own,) = put_files(store, f"{staging_uuid}/", b"staging's own")
    hold_references(stores, staging_uuid, group_by_root([held]))
    prod_root = root_for(store.scheme, store.bucket, "", prod_uuid)

    # A database that is not the owner deletes nothing of the root when
    # dropped (a same-uuid copy, a half-restored dump).
    assert release_database(stores, "1111:99999", prod_uuid, [prod_root], {}) == 0
    assert store.exists(key(unheld))

    assert release_database(stores, PROD, prod_uuid, [prod_root], {}) == 1
    assert store.exists(key(held)) and not store.exists(key(unheld))
    assert Namespace(store, prod_root).owner() is None

    # The copy, dropped in turn, releases its hold: nobody uses ``held``.
    staging_root = root_for(store.scheme, store.bucket, "", staging_uuid)
    references = group_by_root([held, own])
    assert (
        release_database(stores, STAGING, staging_uuid, [staging_root], references) == 2
    )
    assert list(store.list()) == []


def key(location):
    return location.split("/", 3)[3]
