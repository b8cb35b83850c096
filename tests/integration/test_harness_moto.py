"""The moto_server fixture gives a real S3 endpoint reached over HTTP."""

import botocore.exceptions
import pytest


def test_object_round_trip(moto_server):
    s3 = moto_server.client("s3")
    s3.create_bucket(Bucket="harness")
    s3.put_object(Bucket="harness", Key="a/key", Body=b"\x00bytes\xff")
    body = s3.get_object(Bucket="harness", Key="a/key")["Body"].read()
    assert body == b"\x00bytes\xff"
    moto_server.reset()


def test_outage_then_recovery_on_the_same_port(moto_server):
    s3 = moto_server.client("s3")
    moto_server.stop()
    try:
        with pytest.raises(botocore.exceptions.EndpointConnectionError):
            s3.list_buckets()
    finally:
        moto_server.start()
    assert s3.list_buckets()["Buckets"] == []
