"""Odoo's database operations keep every file in object storage, for every
backend: databases sharing a bucket, ``odoo-bin db duplicate``, ``dump``,
``load`` and ``drop``, ending with every remaining database reading every file
it references, byte for byte."""

import base64
import hashlib
import os
import signal
import subprocess
import zipfile

import in_odoo
import pytest
import requests
from object_storage_backends import b64, set_location

from local_platform.odoo_server import clean_environ
from local_platform.process import wait_until


def sha1(data):
    return hashlib.sha1(data).hexdigest()


@pytest.fixture(scope="module")
def odoo_db(odoo, backend):
    """Runs ``odoo-bin db <args>`` with the backend's variables; asserts it
    succeeded, and returns what it logged."""

    def run(*args):
        result = odoo.run(*args, env=backend.env, subcommand="db", timeout=600)
        assert result.returncode == 0, f"odoo-bin db {args}:\n{result.stderr[-3000:]}"
        return result.stderr

    return run


@pytest.fixture(scope="module")
def in_database(odoo, backend):
    """Runs a function of :mod:`in_odoo` in a database; what it read of the
    test's files, ``{name: (store_fname, bytes)}``."""

    def call(database, function, **arguments):
        found = odoo.call(database, function, env=backend.env, **arguments)
        return {
            name: (fname, base64.b64decode(data))
            for name, (fname, data) in found.items()
        }

    return call


def contents(found):
    return {name: data for name, (_fname, data) in found.items()}


def key(store_fname):
    return store_fname.split("/", 3)[3]


def namespace(store_fname):
    return store_fname.split("/")[-3]


def test_duplicate_dump_load_and_drop_keep_every_file(
    odoo, odoo_database, backend, odoo_db, in_database, tmp_path
):
    shared = b"the same content in two databases " * 200
    files = {
        "file-shared": shared,
        "file-kept": os.urandom(70_000),
        "file-deleted-in-copy": os.urandom(70_000),
        "file-deleted-in-original": os.urandom(70_000),
    }
    prod = odoo_database([f"attachment_{backend.scheme}"])
    set_location(odoo, prod, backend.scheme)
    # Copied before it has any file: an independent database on the bucket.
    other = f"{prod}_other"
    odoo_db("duplicate", prod, other)
    created = {name: b64(data) for name, data in files.items()}
    prod_files = in_database(prod, in_odoo.create_named_files, files=created)
    other_files = in_database(
        other, in_odoo.create_named_files, files={"file-shared": b64(shared)}
    )
    assert contents(prod_files) == files
    # Identical content, two databases: one object each, in its own namespace.
    assert namespace(prod_files["file-shared"][0]) != namespace(
        other_files["file-shared"][0]
    )

    staging = f"{prod}_staging"
    odoo_db("duplicate", prod, staging)
    # The copy reads the original's objects: nothing was copied.
    assert in_database(staging, in_odoo.read_attachments) == prod_files

    # Each deletes (and collects) a file the other still uses; an independent
    # database deletes its own copy of the shared content.
    staging_files = in_database(
        staging, in_odoo.unlink_and_collect, name="file-deleted-in-copy"
    )
    in_database(other, in_odoo.unlink_and_collect, name="file-shared")
    gone = "file-deleted-in-original"
    after = in_database(prod, in_odoo.unlink_and_collect, name=gone)
    assert contents(after) == {n: d for n, d in files.items() if n != gone}
    assert contents(staging_files) == {
        name: data for name, data in files.items() if name != "file-deleted-in-copy"
    }
    deleted_in_original = key(prod_files["file-deleted-in-original"][0])
    assert backend.objects(deleted_in_original) == files["file-deleted-in-original"]

    dump = tmp_path / "staging.zip"
    odoo_db("dump", staging, str(dump))
    with zipfile.ZipFile(dump) as archive:
        dumped = {
            name.rsplit("/", 1)[1]: archive.read(name)
            for name in archive.namelist()
            if name.startswith("filestore/") and not name.endswith("/")
        }
    for data in contents(staging_files).values():
        assert dumped[sha1(data)] == data

    restored = f"{prod}_restored"
    odoo_db("load", restored, str(dump))
    restored_files = in_database(restored, in_odoo.read_attachments)
    assert contents(restored_files) == contents(staging_files)
    written = {namespace(fname) for fname, _data in staging_files.values()}
    for fname, _data in restored_files.values():
        assert fname.startswith(f"{backend.scheme}://{backend.bucket}/")
        assert namespace(fname) not in written  # its own place

    # Dropping the copy releases its holds: what only it kept goes at the
    # original's next collection.
    odoo_db("drop", staging)
    in_database(prod, in_odoo.unlink_and_collect, name="none")
    assert backend.objects(deleted_in_original) is None

    logged = odoo_db("drop", prod)
    assert f"DROP DB: {prod}: 3 objects deleted" in logged, logged[-3000:]
    for fname, _data in prod_files.values():
        assert backend.objects(key(fname)) is None
    # What remains reads every file it references.
    assert in_database(restored, in_odoo.read_attachments) == restored_files
    for database in (restored, other):
        odoo_db("drop", database)


def manage(server, action, files=None, **fields):
    """POST to the web database manager; the response, which must be its
    redirect to the manager (success) or, for a backup, the archive."""
    reply = requests.post(
        f"{server.url}/web/database/{action}",
        data={"master_pwd": "admin", **fields},
        files=files,
        allow_redirects=False,
        timeout=600,
    )
    expected = 200 if action == "backup" else 303
    assert reply.status_code == expected, reply.text[-2000:]
    return reply


def test_the_web_database_manager_keeps_every_file(
    odoo, odoo_database, backend, odoo_server, odoo_db, in_database
):
    prod = odoo_database([f"attachment_{backend.scheme}"])
    set_location(odoo, prod, backend.scheme)
    # With a single database, the manager's requests would be bound to it,
    # and Odoo cannot answer a request whose database it just copied.
    odoo_db("duplicate", prod, f"{prod}_second")
    files = {"file-kept": os.urandom(70_000), "file-released": os.urandom(70_000)}
    prod_files = in_database(
        prod,
        in_odoo.create_named_files,
        files={name: b64(data) for name, data in files.items()},
    )
    server = odoo_server(prod, env=backend.env, workers=0, database_manager=True)

    copy = f"{prod}_copy"
    manage(server, "duplicate", name=prod, new_name=copy, neutralize_database="1")
    released = key(prod_files["file-released"][0])
    in_database(prod, in_odoo.unlink_and_collect, name="file-released")
    assert backend.objects(released) == files["file-released"]  # the copy holds it
    assert contents(in_database(copy, in_odoo.read_attachments)) == files

    backup = manage(server, "backup", name=copy, backup_format="zip")
    assert backup.headers["Content-Type"].startswith("application/octet-stream")
    restored = f"{prod}_restored"
    manage(
        server, "restore", name=restored, copy="true",
        files={"backup_file": ("copy.zip", backup.content, "application/zip")},
    )  # fmt: skip
    restored_files = in_database(restored, in_odoo.read_attachments)
    assert contents(restored_files) == files
    assert {namespace(f) for f, _d in restored_files.values()}.isdisjoint(
        {namespace(f) for f, _d in prod_files.values()}
    )

    manage(server, "drop", name=copy)
    in_database(prod, in_odoo.unlink_and_collect, name="none")
    assert backend.objects(released) is None
    assert contents(in_database(restored, in_odoo.read_attachments)) == files
    for database in (restored, prod):
        manage(server, "drop", name=database)
    # The manager cannot drop the last database its filter lets it serve.
    odoo_db("drop", f"{prod}_second")
    for fname, _data in [*prod_files.values(), *restored_files.values()]:
        assert backend.objects(key(fname)) is None


def killed_when_logged(odoo, backend, log_path, line, *args, env=None):
    """Run ``odoo-bin db <args>``, SIGKILL it as soon as it logs ``line``."""
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            odoo.command(*args, subcommand="db"), stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
            env=clean_environ({**backend.env, **(env or {})}),
        )  # fmt: skip
        try:
            wait_until(lambda: line in log_path.read_text(), 300, repr(line))
        finally:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_a_dump_or_a_load_killed_halfway_leaves_nothing_half_owned(
    odoo, odoo_database, backend, odoo_db, in_database, tmp_path
):
    prod = odoo_database([f"attachment_{backend.scheme}"])
    set_location(odoo, prod, backend.scheme)
    files = {f"file-{n}": os.urandom(50_000) for n in range(20)}
    prod_files = in_database(
        prod,
        in_odoo.create_named_files,
        files={name: b64(data) for name, data in files.items()},
    )
    dump = tmp_path / "prod.zip"
    killed_when_logged(
        odoo, backend, tmp_path / "dump.log", "DUMP DB:", "dump", prod, str(dump)
    )
    odoo_db("dump", prod, str(dump))

    # Killed once the first batch of the dump's files is in its namespace.
    restored = f"{prod}_restored"
    killed_when_logged(
        odoo, backend, tmp_path / "load.log", "attachment migration: 5/",
        "load", restored, str(dump), env={"ATTACHMENT_STORAGE_BATCH_SIZE": "5"},
    )  # fmt: skip
    rows = odoo.postgres.psql(
        "SELECT store_fname FROM ir_attachment WHERE name LIKE 'file-%'",
        dbname=restored,
    ).split()
    uploaded = [fname for fname in rows if "://" in fname]
    assert 0 < len(uploaded) < len(files)
    assert {namespace(f) for f in uploaded}.isdisjoint(
        {namespace(f) for f, _d in prod_files.values()}
    )
    # Dropping what the killed load left deletes what it uploaded, and
    # nothing of the original's, which reads every file still.
    odoo_db("drop", restored)
    assert [f for f in uploaded if backend.objects(key(f)) is not None] == []
    assert in_database(prod, in_odoo.read_attachments) == prod_files
    odoo_db("load", restored, str(dump))
    assert contents(in_database(restored, in_odoo.read_attachments)) == files
    for database in (restored, prod):
        odoo_db("drop", database)
