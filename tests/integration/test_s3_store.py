"""The S3 store against two real S3 endpoints: Swift's s3api and moto's server."""

import hashlib
import os
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from odoo_cloud.config import load
from odoo_cloud.storage import ObjectNotFound, StorageUnavailable, Stores


def s3_environ(endpoint, access_key, secret_key, region, **extra):
    return {
        "AWS_HOST": endpoint,
        "AWS_ACCESS_KEY_ID": access_key,
        "AWS_SECRET_ACCESS_KEY": secret_key,
        "AWS_REGION": region,
        "AWS_ADDRESSING_STYLE": "path",
        "AWS_MAX_ATTEMPTS": "1",
        **extra,
    }


def moto_environ(moto_server, **extra):
    return s3_environ(
        moto_server.endpoint_url,
        moto_server.access_key_id,
        moto_server.secret_access_key,
        moto_server.region,
        **extra,
    )


def swift_environ(swift, **extra):
    return swift.s3_environ(AWS_MAX_ATTEMPTS="1", **extra)


@pytest.fixture(params=["swift-s3api", "moto-server"])
def environ(request):
    if request.param == "swift-s3api":
        return swift_environ(request.getfixturevalue("swift"))
    return moto_environ(request.getfixturevalue("moto_server"))


def new_store(environ):
    bucket = f"test-{uuid.uuid4().hex[:12]}"
    return Stores(load(environ)).get("s3", bucket)


def count_requests(store, operation):
    """The number of ``operation`` requests the store's client sends from now."""
    sent = []
    store.client.meta.events.register(
        f"before-call.s3.{operation}", lambda **_: sent.append(operation)
    )
    return sent


def test_every_method_round_trips(environ):
    store = new_store(environ)
    data = os.urandom(100_000)
    store.put("ab/one", data, "image/png")  # creates the bucket on first write
    store.put("ab/two", b"second")

    assert store.get("ab/one") == data
    info = store.head("ab/one")
    assert (info.key, info.size, info.content_type) == ("ab/one", 100_000, "image/png")
    assert info.etag == hashlib.md5(data).hexdigest()
    assert store.exists("ab/two") and not store.exists("ab/three")
    assert sorted(store.list("ab/")) == ["ab/one", "ab/two"]
    assert list(store.list("zz/")) == []

    store.delete("ab/two")
    store.delete("ab/two")  # deleting twice is fine
    assert not store.exists("ab/two")
    with pytest.raises(ObjectNotFound):
        store.get("ab/two")
    with pytest.raises(ObjectNotFound):
        store.head("ab/two")
    assert str(store.location("ab/one")) == f"s3://{store.bucket}/ab/one"


def test_ranges(environ):
    store = new_store(environ)
    data = bytes(range(256)) * 40
    store.put("k", data)
    with store.open("k", 100, 200) as body:
        assert body.read() == data[100:200]
    with store.open("k", 10_000) as body:
        assert body.read() == data[10_000:]
    reader = store.reader("k", len(data))
    assert reader.read(10) == data[:10]
    reader.seek(5000)
    assert reader.read(7) == data[5000:5007]
    reader.seek(-3, os.SEEK_END)
    assert reader.read() == data[-3:]
    reader.close()


def test_existing_object_is_not_uploaded_twice(environ):
    store = new_store(environ)
    store.put("cd/other", b"creates the bucket")
    puts = count_requests(store, "PutObject")
    assert store.put_if_absent("cd/content", b"same bytes") is True
    assert store.put_if_absent("cd/content", b"same bytes") is False
    assert puts == ["PutObject"]
    assert store.get("cd/content") == b"same bytes"


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"AWS_SERVER_SIDE_ENCRYPTION": "aes256"}, {"ServerSideEncryption": "AES256"}),
        (
            {
                "AWS_SERVER_SIDE_ENCRYPTION": "aws:kms",
                "AWS_SSE_KMS_KEY_ID": "alias/odoo",
            },
            {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "alias/odoo"},
        ),
    ],
    ids=["AES256", "aws:kms"],
)
def test_server_side_encryption_is_requested(moto_server, settings, expected):
    store = new_store(moto_environ(moto_server, **settings))
    headers = []
    store.client.meta.events.register(
        "before-send.s3.PutObject", lambda request, **_: headers.append(request.headers)
    )
    store.put("ef/secret", b"encrypted at rest")
    assert (
        headers[-1]["x-amz-server-side-encryption"]
        == expected["ServerSideEncryption"].encode()
    )
    reply = store.client.head_object(Bucket=store.bucket, Key="ef/secret")
    assert {name: reply.get(name) for name in expected} == expected


def test_stopped_endpoint_fails_with_storage_unavailable(swift):
    store = new_store(swift_environ(swift))
    store.put("gh/up", b"before the outage")
    swift.stop_proxy()
    try:
        with pytest.raises(StorageUnavailable, match="S3 unreachable"):
            store.get("gh/up")
        with pytest.raises(StorageUnavailable):
            store.put("gh/new", b"during the outage")
    finally:
        swift.start_proxy()
    assert store.get("gh/up") == b"before the outage"


def test_frozen_endpoint_fails_within_the_read_timeout(moto_server):
    environ = moto_environ(moto_server, AWS_READ_TIMEOUT="1", AWS_CONNECT_TIMEOUT="1")
    store = new_store(environ)
    store.put("ij/k", b"v")
    moto_server.process.signal(signal.SIGSTOP)
    started = time.monotonic()
    try:
        with pytest.raises(StorageUnavailable, match="timeout"):
            store.get("ij/k")
    finally:
        moto_server.process.signal(signal.SIGCONT)
    # One attempt of a 1 s read timeout: well under the default 60 s.
    assert time.monotonic() - started < 10
    assert store.get("ij/k") == b"v"


def test_concurrent_first_writes_share_the_bucket_creation(environ):
    store = new_store(environ)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: store.put(f"kl/{n}", b"x"), range(16)))
    assert len(list(store.list("kl/"))) == 16
