"""The swift fixture gives a real Swift that both the Swift and the S3 API reach,
whose proxy can go down and come back, and whose access log the tests can read.
"""

import contextlib
import uuid

import pytest
import requests

from local_platform.process import wait_until


def new_name():
    """A container (bucket) name no other test uses: the cluster is shared."""
    return f"harness-{uuid.uuid4().hex}"


def test_put_with_swift_get_with_s3(swift):
    container, payload = new_name(), b"written by the Swift API\x00\xff"
    with contextlib.closing(swift.swift_client()) as connection:
        connection.put_container(container)
        connection.put_object(container, "dir/object.bin", payload)
    response = swift.s3_client().get_object(Bucket=container, Key="dir/object.bin")
    assert response["Body"].read() == payload


def test_put_with_s3_get_with_swift(swift):
    container, payload = new_name(), b"written by the S3 API\x00\xff"
    client = swift.s3_client()
    client.create_bucket(Bucket=container)
    client.put_object(Bucket=container, Key="dir/object.bin", Body=payload)
    with contextlib.closing(swift.swift_client()) as connection:
        _headers, body = connection.get_object(container, "dir/object.bin")
    assert body == payload


def test_each_login_is_a_line_of_the_proxy_access_log(swift):
    before = swift.logins()
    with contextlib.closing(swift.swift_client()) as connection:
        connection.get_auth()
    wait_until(
        lambda: swift.logins() == before + 1,
        5,
        "the login in the proxy access log",
    )


def test_proxy_outage_then_recovery_on_the_same_url(swift):
    container, payload = new_name(), b"survives the outage"
    with contextlib.closing(swift.swift_client()) as connection:
        connection.put_container(container)
        connection.put_object(container, "object", payload)
        swift.stop_proxy()
        try:
            with pytest.raises(requests.exceptions.ConnectionError):
                connection.get_object(container, "object")
        finally:
            swift.start_proxy()
        _headers, body = connection.get_object(container, "object")
    assert body == payload
