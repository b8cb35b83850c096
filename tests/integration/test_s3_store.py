"""What only the S3 store does, against real S3 endpoints (the scenarios
every store shares are in test_object_stores.py)."""

import signal
import time

import pytest
from harness.object_stores import backend_store, moto_environ, new_store

from odoo_cloud.storage import StorageUnavailable


@pytest.fixture(params=["s3-swift-s3api", "s3-moto-server"])
def store(request):
    return backend_store(request, request.param)


def count_requests(store, operation):
    """The number of ``operation`` requests the store's client sends from now."""
    sent = []
    store.client.meta.events.register(
        f"before-call.s3.{operation}", lambda **_: sent.append(operation)
    )
    return sent


def test_existing_object_is_not_uploaded_twice(store):
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
    store = new_store(moto_environ(moto_server, **settings), "s3")
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


def test_frozen_endpoint_fails_within_the_read_timeout(moto_server):
    environ = moto_environ(moto_server, AWS_READ_TIMEOUT="1", AWS_CONNECT_TIMEOUT="1")
    store = new_store(environ, "s3")
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
