"""What only the Swift store does, against a real Swift (tempauth): large
objects in segments, one login per process, renewed tokens, timeouts (the
scenarios every store shares are in test_object_stores.py)."""

import hashlib
import os
import signal
import threading
import tracemalloc
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import swiftclient.client
from harness.object_stores import backend_store, name_verdicts, new_store
from swiftclient.exceptions import ClientException

from local_platform.process import wait_until
from local_platform.swift_server import TEMP_URL_KEY, run_swift
from odoo_cloud.storage import (
    READ_SIZE,
    NoSignedURL,
    ObjectNotFound,
    StorageError,
    StorageUnavailable,
)

MB = 1024 * 1024
LARGE = {"SWIFT_LARGE_OBJECT_SIZE": str(10 * MB), "SWIFT_SEGMENT_SIZE": str(10 * MB)}


@pytest.fixture
def store(request):
    return backend_store(request, "swift", **LARGE)


def segments(store):
    """The names in the store's segments container."""
    _headers, listing = store.client.call(
        store.location(""), "get_container", store.segments_container
    )
    return [entry["name"] for entry in listing]


def requests_logged(swift, method, container):
    """The access log lines of ``method`` requests (any with "") on the
    objects of ``container``."""
    return [
        line
        for line in swift.access_log_lines()
        if f"{method} /v1/AUTH_test/{container}/" in line
    ]


def test_a_large_object_is_stored_as_segments_and_read_back_whole(swift, store):
    data = os.urandom(30 * MB)
    store.put("ab/large", data, "application/pdf")
    store.put("ab/small", b"below the threshold")

    assert segments(store) == [
        f"ab/large/slo/{30 * MB}/{10 * MB}/{index:08d}" for index in range(3)
    ]
    manifest = store.client.call(
        store.location("ab/large"), "head_object", store.bucket, "ab/large"
    )
    assert manifest["x-static-large-object"] == "True"
    info = store.head("ab/large")
    assert (info.size, info.content_type) == (30 * MB, "application/pdf")
    assert hashlib.sha1(store.get("ab/large")).digest() == hashlib.sha1(data).digest()
    assert sorted(store.list("ab/")) == ["ab/large", "ab/small"]  # no segment

    for start, end in [
        (10 * MB - 100, 10 * MB + 100),  # across the first boundary
        (5 * MB, 25 * MB),  # a whole segment and two halves
        (30 * MB - 10, None),  # the tail
    ]:
        with store.open("ab/large", start, end) as body:
            assert body.read() == data[start:end], (start, end)
    with store.reader("ab/large", info.size) as reader:
        reader.seek(20 * MB - 3)
        assert reader.read(6) == data[20 * MB - 3 : 20 * MB + 3]

    store.delete("ab/large")
    assert segments(store) == []
    assert not store.exists("ab/large")
    assert store.get("ab/small") == b"below the threshold"


def test_an_open_download_holds_only_what_was_read(store):
    store.put("cd/streamed", os.urandom(20 * MB))
    tracemalloc.start()
    try:
        with store.open("cd/streamed", 1000) as body:
            for _ in range(3):
                assert len(body.read(READ_SIZE)) == READ_SIZE
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * MB  # a few reads' worth, not the 20 MB object


def test_existing_object_is_not_uploaded_twice(swift, store):
    def logged(method):
        return [
            line
            for line in requests_logged(swift, method, store.bucket)
            if "/ef/content " in line
        ]

    store.put("ef/other", b"creates the container")
    assert store.put_if_absent("ef/content", b"same bytes") is True
    assert store.put_if_absent("ef/content", b"same bytes") is False
    wait_until(lambda: len(logged("HEAD")) == 2, 10, "both HEADs in the access log")
    assert len(logged("PUT")) == 1


def run_operations(store, count, threads):
    """``count`` puts, gets and heads spread over ``threads`` threads."""

    def operation(index):
        key = f"gh/{index % 5}"
        if index % 3 == 0:
            store.put(key, f"content {index % 5}".encode())
        elif index % 3 == 1:
            with pytest.raises(ObjectNotFound):
                store.get(f"gh/missing-{index}")
        else:
            store.exists(key)
        return threading.get_ident()

    with ThreadPoolExecutor(threads) as pool:
        return set(pool.map(operation, range(count)))


def operations_logged(swift, container, count):
    """Wait until the access log shows ``count`` requests on ``container``:
    a line is written once its response is sent."""
    wait_until(
        lambda: sum(f"/v1/AUTH_test/{container}" in line
                    for line in swift.access_log_lines()) >= count,
        10,
        f"{count} requests on {container} in the access log",
    )  # fmt: skip


def test_one_login_serves_every_thread_of_the_process(swift, store):
    before = swift.logins()
    used_threads = run_operations(store, 50, 8)
    operations_logged(swift, store.bucket, 50)
    assert len(used_threads) > 1
    assert swift.logins() == before + 1


def test_a_revoked_token_is_renewed_once_for_every_thread(swift, store):
    run_operations(store, 10, 4)
    before = swift.logins()
    swift.revoke_tokens()
    # The threads refused (401) with the old token share one new login.
    run_operations(store, 40, 8)
    operations_logged(swift, store.bucket, 50)
    assert swift.logins() == before + 1
    logged = requests_logged(swift, "", store.bucket)
    assert any(" 401 " in line for line in logged)  # refused, then renewed


def refused(url, token):
    """Whether Swift refuses ``token`` (401), asked with the raw client."""
    try:
        swiftclient.client.head_account(url, token)
    except ClientException as error:
        return error.http_status == 401
    return False


def test_an_expired_token_is_renewed_and_the_request_sent_again(tmp_path):
    with run_swift(tmp_path, token_life=5) as swift:
        store = new_store(swift.swift_environ(), "swift")
        store.put("ij/before", b"with the first token")
        logins = swift.logins()
        wait_until(
            lambda: refused(*store.client.credentials()), 30, "the token to expire"
        )
        assert store.get("ij/before") == b"with the first token"
        # PUT 404, PUT of the container, PUT, GET 401, GET
        operations_logged(swift, store.bucket, 5)
        assert swift.logins() == logins + 1
        gets = requests_logged(swift, "GET", store.bucket)
        assert [" 401 " in line for line in gets] == [True, False]


def test_a_frozen_proxy_fails_with_the_read_timeout(swift):
    store = new_store(swift.swift_environ(SWIFT_READ_TIMEOUT="1"), "swift")
    store.put("kl/k", b"v")
    swift.proxy.signal(signal.SIGSTOP)
    try:
        with pytest.raises(StorageUnavailable, match=r"read timeout=1\b"):
            store.get("kl/k")
    finally:
        swift.proxy.signal(signal.SIGCONT)
    assert store.get("kl/k") == b"v"


def test_a_login_without_the_proxy_is_an_outage(swift):
    store = new_store(swift.swift_environ(), "swift")
    swift.stop_proxy()
    try:
        with pytest.raises(StorageUnavailable, match="unreachable") as raised:
            store.get("mn/k")
    finally:
        swift.start_proxy()
    assert f"swift://{store.bucket}/mn/k" in str(raised.value)
    with pytest.raises(ObjectNotFound):
        store.get("mn/k")


def test_a_refused_login_is_an_error_naming_the_variables(swift):
    store = new_store(swift.swift_environ(SWIFT_PASSWORD="wrong"), "swift")
    with pytest.raises(StorageError, match="SWIFT_PASSWORD") as raised:
        store.get("op/k")
    # Never "missing": a missing object reads as empty content.
    assert not isinstance(raised.value, (ObjectNotFound, StorageUnavailable))


def test_signing_makes_the_key_the_containers_temp_url_key(swift, store):
    store.put("tu/k", b"signed", "application/pdf")
    raw = swift.swift_client()
    raw.post_container(store.bucket, {"X-Container-Meta-Temp-URL-Key": "another"})
    url = store.signed_url("tu/k", 60, "application/pdf", "inline")
    assert raw.head_container(store.bucket)["x-container-meta-temp-url-key"] == (
        TEMP_URL_KEY
    )
    assert requests.get(url, timeout=30).content == b"signed"


def test_what_a_temp_url_cannot_serve_as_asked_is_not_signed(request, swift, store):
    store.put("tu/text", b"notes", "text/plain")
    with pytest.raises(NoSignedURL, match="stored as text/plain"):
        store.signed_url("tu/text", 60, "text/plain; charset=utf-8", "inline")
    store.put("tu/large", os.urandom(11 * MB), "application/pdf")
    with pytest.raises(NoSignedURL, match="large object"):
        store.signed_url("tu/large", 60, "application/pdf", "inline")
    without_key = backend_store(request, "swift", SWIFT_TEMP_URL_KEY="")
    with pytest.raises(NoSignedURL, match="SWIFT_TEMP_URL_KEY"):
        without_key.signed_url("tu/text", 60, "text/plain", "inline")


def test_the_container_name_rule_is_swifts(swift):
    unique = uuid.uuid4().hex[:8]
    names = [
        unique.ljust(256, "a"),
        unique.ljust(257, "a"),
        unique.ljust(256, "é"),
        unique.ljust(257, "é"),
        f"Acme Odoo (prod) {unique}",
    ]
    served, ruled = name_verdicts(swift.swift_environ(), "swift", names)
    assert served == ruled
