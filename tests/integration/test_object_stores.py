"""What every object store does alike, against real servers: S3 (Swift's
s3api, moto's server), Swift (its own API) and Azure (Azurite)."""

import hashlib
import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from harness.object_stores import (
    BACKENDS,
    backend_environ,
    backend_store,
    cutting_proxy_for,
    new_store,
)

from odoo_cloud.config import load
from odoo_cloud.storage import ObjectNotFound, OutsideBucket, StorageUnavailable, Stores
from odoo_cloud.storage.azure.store import FIRST_CHUNK
from odoo_cloud.storage.swift.store import disposition_parts

# As Odoo (werkzeug) writes it for "résumé 2026.pdf".
DISPOSITION = (
    'attachment; filename="resume 2026.pdf"; '
    "filename*=UTF-8''r%C3%A9sum%C3%A9%202026.pdf"
)


@pytest.fixture(params=BACKENDS)
def store(request):
    return backend_store(request, request.param)


def test_every_method_round_trips(store):
    data = os.urandom(100_000)
    store.put("ab/one", data, "image/png")  # creates the bucket on first write
    store.put("ab/two", b"second")

    assert store.get("ab/one") == data
    info = store.head("ab/one")
    assert (info.key, info.size, info.content_type) == ("ab/one", 100_000, "image/png")
    assert info.etag == hashlib.md5(data).hexdigest()
    assert info.last_modified.tzinfo is not None
    assert store.exists("ab/two") and not store.exists("ab/three")
    assert sorted(store.list("ab/")) == ["ab/one", "ab/two"]
    assert list(store.list("zz/")) == []

    store.delete("ab/two")
    store.delete("ab/two")  # deleting twice is fine
    assert not store.exists("ab/two")
    with pytest.raises(ObjectNotFound, match=f"{store.scheme}://{store.bucket}/ab/two"):
        store.get("ab/two")
    with pytest.raises(ObjectNotFound):
        store.head("ab/two")
    assert str(store.location("ab/one")) == f"{store.scheme}://{store.bucket}/ab/one"


def test_a_read_never_creates_the_bucket(store):
    with pytest.raises(ObjectNotFound):
        store.get("ab/one")
    with pytest.raises(ObjectNotFound):
        store.head("ab/one")
    assert not store.exists("ab/one")
    store.put("ab/one", b"the first write creates it")
    assert store.get("ab/one") == b"the first write creates it"


def test_ranges(store):
    data = bytes(range(256)) * 40
    store.put("k", data)
    with store.open("k", 100, 200) as body:
        assert body.read() == data[100:200]
    with store.open("k", 10_000) as body:
        assert body.read() == data[10_000:]
    with store.open("k") as body:
        assert body.read(10) == data[:10]
        assert body.read(10) == data[10:20]
    assert store.get_first("k", 300) == data[:300]
    assert store.get_first("k", 20_000) == data
    assert store.get_first("k", 0) == b""
    reader = store.reader("k", len(data))
    assert reader.read(10) == data[:10]
    reader.seek(5000)
    assert reader.read(7) == data[5000:5007]
    reader.seek(-3, os.SEEK_END)
    assert reader.read() == data[-3:]
    reader.close()


def test_a_signed_url_serves_the_object_without_credentials(store):
    data = os.urandom(300_000)
    store.put("sg/pdf", data, "application/pdf")
    url = store.signed_url("sg/pdf", 60, "application/pdf", DISPOSITION)

    reply = requests.get(url, timeout=30)
    assert reply.status_code == 200 and reply.content == data
    assert reply.headers["Content-Type"] == "application/pdf"
    assert reply.headers["Cache-Control"] == "no-cache, private"
    # Swift spells it its own way: the same type and file name.
    disposition = reply.headers["Content-Disposition"]
    assert disposition_parts(disposition) == ("attachment", "résumé 2026.pdf")
    part = requests.get(url, headers={"Range": "bytes=1000-1999"}, timeout=30)
    assert part.status_code == 206 and part.content == data[1000:2000]

    inline = store.signed_url(
        "sg/pdf", 60, "application/pdf", "inline; filename=notes.pdf"
    )
    reply = requests.get(inline, timeout=30)
    assert disposition_parts(reply.headers["Content-Disposition"]) == (
        "inline",
        "notes.pdf",
    )


# moto's server checks no signature, nor the expiry of a presigned URL; S3's
# is checked through Swift's s3api.
@pytest.mark.parametrize("backend", [b for b in BACKENDS if b != "s3-moto-server"])
def test_a_signed_url_is_refused_once_expired(request, backend):
    store = backend_store(request, backend)
    store.put("sg/short", b"short-lived", "application/pdf")
    url = store.signed_url("sg/short", 1, "application/pdf", DISPOSITION)
    assert requests.get(url, timeout=30).content == b"short-lived"
    time.sleep(2.5)  # expiries are whole seconds
    assert requests.get(url, timeout=30).status_code in (401, 403)


def test_concurrent_first_writes_share_the_bucket_creation(store):
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: store.put(f"kl/{n}", b"x"), range(16)))
    assert len(list(store.list("kl/"))) == 16


@pytest.mark.parametrize("backend", ["s3-swift-s3api", "swift"])
def test_stopped_endpoint_fails_with_storage_unavailable(request, swift, backend):
    store = backend_store(request, backend)
    store.put("gh/up", b"before the outage")
    swift.stop_proxy()
    try:
        with pytest.raises(StorageUnavailable, match="unreachable") as raised:
            store.get("gh/up")
        assert f"{store.scheme}://{store.bucket}/gh/up" in str(raised.value)
        with pytest.raises(StorageUnavailable):
            store.put("gh/new", b"during the outage")
    finally:
        swift.start_proxy()
    assert store.get("gh/up") == b"before the outage"


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_body_cut_while_read_fails_with_storage_unavailable(request, backend):
    scheme = backend.split("-", 1)[0]
    environ = backend_environ(request, backend)
    with cutting_proxy_for(environ, scheme) as (proxy, through_proxy):
        store = new_store(through_proxy, scheme)
        data = os.urandom(3_000_000)
        store.put("mn/large", data)

        # Past the first chunk Azure reads when a download opens.
        proxy.cut_answers_after(FIRST_CHUNK + 500_000)
        body = store.open("mn/large")
        with pytest.raises(StorageUnavailable) as raised:
            body.read()
        assert f"{scheme}://{store.bucket}/mn/large" in str(raised.value)
        with pytest.raises(StorageUnavailable):
            store.get("mn/large")

        proxy.let_answers_through()
        assert store.get("mn/large") == data


def escapes(bucket):
    """Keys climbing from one bucket into ``bucket``, however spelled."""
    return [
        f"../{bucket}/ab/one",
        f"ab/../../{bucket}/ab/one",
        f"/../{bucket}/ab/one",
        f"./../{bucket}/ab/one",
        f"%2e%2e/{bucket}/ab/one",
        f"%2E%2E%2F{bucket}%2Fab%2Fone",
        f"..%2f{bucket}/ab/one",
        f"..\\{bucket}\\ab\\one",
        f"\uff0e\uff0e/{bucket}/ab/one",
        f"ab/..;/../{bucket}/ab/one",
        "..",
        ".",
        "ab/one/..",
        "ab//one",
        "",
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_no_request_leaves_its_bucket(request, backend):
    environ = backend_environ(request, backend)
    scheme = backend.split("-", 1)[0]
    victim = new_store(environ, scheme)
    victim.put("ab/one", b"production")
    victim.put("ab/two", b"production too")
    store = new_store(environ, scheme)
    store.put("ab/mine", b"integration")
    operations = {
        "put": lambda key: store.put(key, b"integration"),
        "put_if_absent": lambda key: store.put_if_absent(key, b"integration"),
        "get": store.get,
        "open": lambda key: store.open(key).read(),
        "get_first": lambda key: store.get_first(key, 10),
        "head": store.head,
        "exists": store.exists,
        "delete": store.delete,
        "list": lambda key: list(store.list(key)),
        "signed_url": lambda key: store.signed_url(key, 60, "text/plain", "inline"),
    }
    for key in escapes(victim.bucket):
        for name, operation in operations.items():
            if name == "list" and key == "":
                continue  # every key of the bucket itself
            with pytest.raises(OutsideBucket):
                operation(key)
                pytest.fail(f"{name}({key!r}) was sent")
    assert sorted(victim.list()) == ["ab/one", "ab/two"]
    assert victim.get("ab/one") == b"production"
    assert sorted(store.list()) == ["ab/mine"]
    stores = Stores(load(environ))
    for bucket in ("..", ".", f"../{victim.bucket}", f"{victim.bucket}/.."):
        with pytest.raises(OutsideBucket):
            stores.get(scheme, bucket)
