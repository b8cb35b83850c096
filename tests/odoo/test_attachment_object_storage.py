"""Attachments in object storage, end to end in Odoo, for every backend.

Each scenario runs once per backend (the ``backend`` fixture): the plumbing of
base_attachment_object_storage is the same for all of them.
"""

import functools
import hashlib
import os
import re
import signal
import subprocess
from concurrent.futures import ThreadPoolExecutor

import in_odoo
import pytest
from harness.object_stores import cutting_proxy_for
from object_storage_backends import b64, create, namespace, noise_png, set_location
from test_session_redis import redis_env

from local_platform.odoo_call import SCRIPT as CALL_SCRIPT
from local_platform.odoo_call import call_environ, returned
from local_platform.odoo_server import REPO, TEST_ADDONS, clean_environ, run_addon_tests
from local_platform.process import wait_until


@pytest.fixture(scope="module")
def database(odoo, odoo_database, backend):
    name = odoo_database([f"attachment_{backend.scheme}"])
    set_location(odoo, name, backend.scheme)
    return name


@pytest.fixture(scope="module")
def call(odoo, database, backend):
    """Runs a function of :mod:`in_odoo` in the database: its result."""
    return functools.partial(odoo.call, database, env=backend.env)


@pytest.fixture(scope="module")
def written_by(odoo, database, call):
    """The namespace of the database in the bucket."""
    call(in_odoo.load_database)
    return namespace(odoo, database)


def sha1(data):
    return hashlib.sha1(data).hexdigest()


def test_attachment_and_partner_image_land_in_the_bucket(backend, call, written_by):
    data = b"a document " * 1000
    created = create(call, "document.txt", data)
    assert created["store_fname"] == backend.location(sha1(data), written_by)
    assert backend.objects(created["store_fname"].split("/", 3)[3]) == data

    image = noise_png()
    partner = call(in_odoo.create_partner_image, image_b64=b64(image))
    assert partner["store_fname"] == backend.location(partner["checksum"], written_by)
    assert backend.objects(partner["store_fname"].split("/", 3)[3]) == image


def test_small_images_and_assets_stay_in_the_database(backend, call, written_by):
    data = f"body {{ color: red }} /* {os.urandom(8).hex()} */".encode()
    small = create(call, "tiny.css", data)
    assert small["store_fname"] is False
    # 19.0 hands every new content to _file_write, this too: never uploaded.
    assert backend.objects(backend.key(sha1(data), written_by)) is None


def test_download_streams_with_range_and_etag(backend, odoo_server, database, call):
    data = bytes(range(256)) * 400
    created = create(call, "ranges.bin", data)
    server = odoo_server(database, env=backend.env)
    session = server.login()
    url = f"{server.url}/web/content/{created['id']}"

    whole = session.get(url, timeout=30)
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["ETag"] == f'"{sha1(data)}"'
    assert "Last-Modified" in whole.headers

    part = session.get(url, headers={"Range": "bytes=1000-1999"}, timeout=30)
    assert part.status_code == 206
    assert part.content == data[1000:2000]
    assert part.headers["Content-Range"] == f"bytes 1000-1999/{len(data)}"

    cached = session.get(
        url, headers={"If-None-Match": whole.headers["ETag"]}, timeout=30
    )
    assert cached.status_code == 304


GC_SCENARIOS = {
    "unlink then GC removes the object": (in_odoo.unlink, False),
    "unlink then rollback keeps it": (in_odoo.unlink_rolled_back, True),
    "a key another attachment uses is kept": (in_odoo.unlink_one_of_twins, True),
}


@pytest.mark.parametrize("scenario", GC_SCENARIOS)
def test_garbage_collection(backend, call, scenario):
    action, kept = GC_SCENARIOS[scenario]
    data = f"gc {scenario}".encode() * 100
    created = create(call, "gc.txt", data)
    call(action, attachment_id=created["id"])
    call(in_odoo.collect_garbage)
    assert (
        backend.objects(created["store_fname"].split("/", 3)[3]) is not None
    ) is kept


def test_create_rolled_back_leaves_an_object_the_gc_reclaims(backend, call, written_by):
    data = b"rolled back " * 100
    key = backend.key(sha1(data), written_by)
    call(in_odoo.create_rolled_back, data_b64=b64(data))
    assert backend.objects(key) == data
    call(in_odoo.collect_garbage)
    assert backend.objects(key) is None


def call_kw(server, session, method, *args):
    """``ir.attachment.method(*args)`` over JSON-RPC: the ``requests`` response."""
    params = {"model": "ir.attachment", "method": method, "args": args, "kwargs": {}}
    return server.jsonrpc("/web/dataset/call_kw", params, session)


def test_outage_fails_creation_cleanly_and_downloads_answer_503(
    odoo, backend, odoo_server, database, call
):
    kept = create(call, "before-outage.txt", b"written before the outage" * 50)
    image = create(call, "before-outage.png", noise_png())
    server = odoo_server(database, env=backend.env)
    session = server.login()
    html = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    backend.stop()
    try:
        values = {"name": "during-outage.txt", "raw": "during the outage"}
        created = call_kw(server, session, "create", values)
        downloads = [
            session.get(f"{server.url}{path}", headers=html, timeout=60)
            for path in (f"/web/content/{kept['id']}", f"/web/image/{image['id']}")
        ]
        read = call_kw(server, session, "read", [kept["id"]], ["raw"])
    finally:
        backend.start()
    # JSON-RPC: a 503 whose body is Odoo's error, which the web client shows.
    for reply, message in (
        (created, "object storage failed to store the file"),
        (read, "storage is unavailable"),
    ):
        assert reply.status_code == 503
        assert reply.headers["Retry-After"] == "5"
        assert reply.headers["Cache-Control"] == "no-store"
        assert message in reply.json()["error"]["data"]["message"]
    rows = odoo.postgres.psql(
        "SELECT count(*) FROM ir_attachment WHERE name = 'during-outage.txt'",
        dbname=database,
    )
    assert rows == "0"
    for download in downloads:
        assert download.status_code == 503
        assert "Set-Cookie" not in download.headers
        assert download.headers["Retry-After"] == "5"
        assert download.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "<html" in download.text and "will be back shortly" in download.text
        assert "the file storage does not answer" in download.text
        for outside in ("<script", "<link", "src="):
            assert outside not in download.text
    backend_name = {"s3": "S3", "swift": "Swift", "azure": "Azure"}[backend.scheme]
    # The endpoint too: which one of a region is not in the bucket (S3's, or
    # Swift's storage URL or auth URL).
    endpoint = "; endpoint http://127.0.0.1:[0-9]+[^)]*"
    unreachable = (
        rf"Attachment {kept['id']} cannot be downloaded now: {backend_name} "
        rf"unreachable for {re.escape(kept['store_fname'])} "
        rf"\(Connection refused{endpoint}\); answering 503\."
    )
    assert re.search(unreachable, server.log()), server.log()
    assert f"New attachment not saved: {backend_name} unreachable for " in server.log()


def test_a_store_stopped_after_its_head_answers_503_not_500(
    backend, odoo_server, database, call
):
    # Odoo asks the store for the object's size (HEAD), then for its body
    # (GET): a store that stops in between must not leave werkzeug a 500.
    data = os.urandom(1_000_000)
    kept = create(call, "stopped-after-head.bin", data)
    with cutting_proxy_for(backend.env, backend.scheme) as (proxy, env):
        server = odoo_server(database, env=env)
        session = server.login()
        url = f"{server.url}/web/content/{kept['id']}"
        session.get(url, timeout=60)  # Odoo logs in to the store, if it must
        with ThreadPoolExecutor(1) as pool:
            proxy.hold_answers()
            download = pool.submit(session.get, url, timeout=60)
            assert proxy.answer_held.wait(30)  # the HEAD's
            backend.stop()
            try:
                proxy.release_answers()
                stopped = download.result()
            finally:
                backend.start()
        whole = session.get(url, timeout=60)
    assert stopped.status_code == 503, stopped.text
    assert stopped.headers["Retry-After"] == "5"
    assert f"Attachment {kept['id']} cannot be downloaded now: " in server.log()
    assert whole.status_code == 200
    assert whole.content == data


MIGRATED = 2000
KEPT = 5  # stylesheets: the default rules keep them in the database
PROGRESS = re.compile(r"attachment migration: (\d+)/\d+ done")


def attachment_rows(odoo, database):
    rows = odoo.postgres.psql(
        "SELECT store_fname, checksum FROM ir_attachment "
        "WHERE name LIKE 'file%.txt' ORDER BY id",
        dbname=database,
    )
    return [line.split("|") for line in rows.splitlines()]


def test_migration_interrupted_by_kill_9_then_resumed(
    odoo, odoo_database, backend, tmp_path
):
    database = odoo_database([f"attachment_{backend.scheme}"])
    odoo.call(
        database, in_odoo.create_files_and_stylesheets, env=backend.env,
        files=MIGRATED, stylesheets=KEPT,
    )  # fmt: skip
    filestore = odoo.data_dir / "filestore" / database
    set_location(odoo, database, backend.scheme)

    log_path = tmp_path / "migration.log"
    with (
        open(log_path, "wb") as log,
        call_environ(in_odoo.force_storage, {}) as call,
    ):
        migration = subprocess.Popen(
            odoo.command("-d", database, "--no-http", subcommand="shell"),
            stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT,
            env=clean_environ({**backend.env, **call}), start_new_session=True,
        )  # fmt: skip
        migration.stdin.write(CALL_SCRIPT.encode())
        migration.stdin.close()

        def halfway():
            done = [int(n) for n in PROGRESS.findall(log_path.read_text())]
            return done and done[-1] >= MIGRATED // 2

        wait_until(halfway, 300, "the migration to reach half of the attachments")
        os.killpg(migration.pid, signal.SIGKILL)
        migration.wait()

    rows = attachment_rows(odoo, database)
    moved = [fname for fname, _ in rows if fname.startswith(f"{backend.scheme}://")]
    local = [fname for fname, _ in rows if not fname.startswith(f"{backend.scheme}://")]
    assert MIGRATED // 3 < len(moved) < MIGRATED  # interrupted about halfway
    # Every row not yet committed to the bucket still has its local file.
    assert [name for name in local if not (filestore / name).is_file()] == []

    odoo.call(database, in_odoo.force_storage, env=backend.env)

    rows = attachment_rows(odoo, database)
    assert len(rows) == MIGRATED
    written_by = namespace(odoo, database)
    for fname, checksum in rows:
        assert fname == backend.location(checksum, written_by)
        content = backend.objects(fname.split("/", 3)[3])
        assert content and sha1(content) == checksum
    assert not any(
        (filestore / checksum[:2] / checksum).exists() for _, checksum in rows
    )
    styles = odoo.postgres.psql(
        "SELECT coalesce(store_fname, ''), length(db_datas), checksum "
        "FROM ir_attachment WHERE name LIKE 'style%.css'",
        dbname=database,
    ).splitlines()
    assert len(styles) == KEPT
    for fname, size, checksum in (line.split("|") for line in styles):
        assert (fname, int(size) > 0) == ("", True)
        assert not (filestore / checksum[:2] / checksum).exists()
        assert backend.objects(backend.key(checksum, written_by)) is None


def test_the_addons_own_tests_pass(odoo, database, backend):
    result = run_addon_tests(
        odoo,
        database,
        [REPO / "base_attachment_object_storage" / "tests"],
        env=backend.env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout


def test_odoo_s_test_classes_run_under_a_frozen_clock(
    odoo, database, backend, redis_server
):
    """Create, read, download, offloaded download, GC and a session in Redis,
    through HttpCase and TransactionCase under ``freeze_time``."""
    offloaded = {
        "ATTACHMENT_STORAGE_REDIRECT": "signed-url",
        "ATTACHMENT_STORAGE_REDIRECT_MIN_SIZE": "1000",
    }
    result = run_addon_tests(
        odoo,
        database,
        [TEST_ADDONS / "odoo_cloud_probe" / "tests" / "test_frozen_clock.py"],
        env={**backend.env, **redis_env(redis_server), **offloaded},
        args=["--odoo-http"],
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout


def test_disabled_storage_is_never_contacted(odoo, database, backend, call):
    kept = create(call, "before-disabling.txt", b"in the bucket " * 50)
    closed_port = "http://127.0.0.1:9"  # contacting the store would fail loudly
    disabled = {**backend.env, "DISABLE_ATTACHMENT_STORAGE": "1",
                "AWS_HOST": closed_port, "SWIFT_AUTH_URL": closed_port}  # fmt: skip
    result = odoo.run_call(
        database, in_odoo.read_with_storage_disabled, env=disabled, ids=[kept["id"]]
    )
    outcome = returned(result.stdout)
    assert outcome["new"] == [False, "goes to the db"]
    refusal = "503 Service Unavailable: The file storage is disabled"
    assert outcome["errors"] == [f"{refusal} (DISABLE_ATTACHMENT_STORAGE)."] * 2
    assert result.stderr.count("DISABLE_ATTACHMENT_STORAGE=1: it cannot be read") == 1


def test_rolling_back_to_the_filestore_keeps_the_objects(odoo, odoo_database, backend):
    database = odoo_database([f"attachment_{backend.scheme}"])
    set_location(odoo, database, backend.scheme)
    data = b"back to the filestore " * 100
    call = functools.partial(odoo.call, database, env=backend.env)
    created = create(call, "rollback.txt", data)
    assert created["store_fname"] == backend.location(
        sha1(data), namespace(odoo, database)
    )
    set_location(odoo, database, "file")
    call(in_odoo.force_storage)
    (row,) = odoo.postgres.psql(
        f"SELECT store_fname FROM ir_attachment WHERE id = {created['id']}",
        dbname=database,
    ).splitlines()
    assert row == f"{sha1(data)[:2]}/{sha1(data)}"
    assert (odoo.data_dir / "filestore" / database / row).read_bytes() == data
    assert backend.objects(created["store_fname"].split("/", 3)[3]) == data
