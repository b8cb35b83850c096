"""Downloads of attachments in an object store answer as plain Odoo answers for
the same content in its filestore: same names, headers, bodies and statuses, on
every path of ``ir.binary`` and for conditional requests.

The same records are downloaded twice from one server: first from Odoo's
filestore (the reference), then from the bucket, once ``force_storage`` has
moved them there.
"""

import functools
import hashlib
from dataclasses import dataclass

import in_odoo
import pytest
from object_storage_backends import b64, create, noise_png, set_location

from local_platform.odoo_server import servers_started

# Every image is different: the filestore keeps identical content in one file,
# whose modification time (see in_odoo.create_download_records) would be one
# record's only.
IMAGES = 6

# Each path of ir.binary: the record it downloads, and its URL.
CASES = {
    "content": ("gizeh", "/web/content/{id}"),
    "download": ("gizeh", "/web/content/{id}?download=true"),
    "image": ("gizeh", "/web/image/{id}"),
    "resized image": ("gizeh", "/web/image/{id}/64x64"),
    "forced filename": ("gizeh", "/web/content/{id}?filename=pyramid"),
    "binary field": ("earth", "/web/content/res.partner/{id}/image_1920"),
    "image field": ("earth", "/web/image/res.partner/{id}/image_1920"),
    "attachment without a name": ("no name", "/web/content/{id}"),
    "record without a name": (
        "partner without a name",
        "/web/content/res.partner/{id}/image_1920",
    ),
    "name without an extension": ("no extension", "/web/content/{id}"),
    "newlines in the name": ("newlines", "/web/content/{id}"),
    "text": ("text", "/web/content/{id}"),
    "immutable download": ("text", "/web/content/{id}?unique=1&download=true"),
}
RANGE = {"Range": "bytes=0-99"}
# Set from the clock of the request, not from the content: compared for
# presence only (Expires is the clock plus the max-age Cache-Control carries).
CLOCK_HEADERS = {"Date", "Expires"}


def sha1(data):
    return hashlib.sha1(data).hexdigest()


def requests_of(etag, last_modified):
    """The headers of each request made on a path: conditional ones carry the
    validators the filestore answered."""
    none_match = {"If-None-Match": etag}
    modified_since = {"If-Modified-Since": last_modified}
    return {
        "plain": {},
        "Range": RANGE,
        "If-None-Match": none_match,
        "If-Modified-Since": modified_since,
        "If-None-Match and Range": {**none_match, **RANGE},
        "If-Modified-Since and Range": {**modified_since, **RANGE},
    }


def answer(response):
    """What a response says: its status, each header, the sha1 of its body."""
    headers = {
        name: "(clock)" if name in CLOCK_HEADERS else value
        for name, value in response.headers.items()
    }
    body = sha1(response.content)
    return {"status": response.status_code, **headers, "body sha1": body}


def url_of(server, records, case):
    record, path = CASES[case]
    return server.url + path.format(id=records[record]["id"])


def download_all(server, session, records, validators):
    """Each case's answers, flat (``"<request>: <header>"``), so that a
    difference names its request and header."""
    answers = {case: {} for case in CASES}
    for case in CASES:
        url = url_of(server, records, case)
        for request, headers in requests_of(*validators[case]).items():
            response = session.get(url, headers=headers, timeout=60)
            for name, value in answer(response).items():
                answers[case][f"{request}: {name}"] = value
    return answers


@dataclass
class Downloads:
    database: str
    records: dict  # by name: the id in the URL, and the attachment served
    moved_to: dict  # attachment id -> store_fname once moved to the bucket
    from_filestore: dict
    from_bucket: dict


@pytest.fixture(scope="module")
def downloads(odoo, odoo_database, backend, tmp_path_factory):
    database = odoo_database([f"attachment_{backend.scheme}"])
    images = [b64(noise_png(150)) for _ in range(IMAGES)]
    records = odoo.call(
        database, in_odoo.create_download_records, env=backend.env, images=images
    )
    logs = tmp_path_factory.mktemp(f"downloads-{backend.scheme}")
    with servers_started(odoo, logs) as start:
        server = start(database, env=backend.env)
        session = server.login()
        validators = {}
        for case in CASES:
            plain = session.get(url_of(server, records, case), timeout=60)
            validators[case] = (plain.headers["ETag"], plain.headers["Last-Modified"])
        from_filestore = download_all(server, session, records, validators)
        set_location(odoo, database, backend.scheme)
        odoo.call(database, in_odoo.force_storage, env=backend.env)
        from_bucket = download_all(server, session, records, validators)
    served = ",".join(str(record["attachment"]) for record in records.values())
    moved_to = dict(
        line.split("|")
        for line in odoo.postgres.psql(
            f"SELECT id, store_fname FROM ir_attachment WHERE id IN ({served})",
            dbname=database,
        ).splitlines()
    )
    return Downloads(database, records, moved_to, from_filestore, from_bucket)


@pytest.mark.parametrize("case", CASES)
def test_downloads_from_the_bucket_answer_as_from_the_filestore(
    downloads, backend, case
):
    served = downloads.records[CASES[case][0]]
    assert "://" not in served["store_fname"]
    assert downloads.moved_to[str(served["attachment"])].startswith(
        f"{backend.scheme}://"
    )
    assert downloads.from_filestore[case]["plain: status"] == 200
    assert downloads.from_bucket[case] == downloads.from_filestore[case]


def test_x_sendfile_offloads_only_the_filestore(odoo, odoo_server, backend, downloads):
    database = downloads.database
    set_location(odoo, database, "file")
    on_disk = create(
        functools.partial(odoo.call, database, env=backend.env),
        "on-disk.txt",
        b"on the host's disk " * 100,
    )
    server = odoo_server(database, env=backend.env, args=["--x-sendfile"])
    session = server.login()

    local = session.get(f"{server.url}/web/content/{on_disk['id']}", timeout=60)
    assert local.status_code == 200 and local.content == b""
    filestore_path = f"/web/filestore/{database}/{on_disk['store_fname']}"
    assert local.headers["X-Accel-Redirect"] == filestore_path

    gizeh = downloads.records["gizeh"]
    remote = session.get(f"{server.url}/web/content/{gizeh['id']}", timeout=60)
    assert remote.status_code == 200
    assert sha1(remote.content) == gizeh["checksum"]
    assert "X-Sendfile" not in remote.headers
    assert "X-Accel-Redirect" not in remote.headers
