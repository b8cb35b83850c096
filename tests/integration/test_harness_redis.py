"""The redis_server fixture gives a real Redis that can go down and come back."""

import pytest
import redis


def test_set_then_get(redis_server):
    with redis_server.client() as client:
        client.set("harness:key", b"value")
        assert client.get("harness:key") == b"value"
    redis_server.flushall()


def test_outage_then_recovery_on_the_same_port(redis_server):
    with redis.Redis.from_url(redis_server.url, socket_connect_timeout=1) as client:
        client.set("harness:key", b"before")
        redis_server.stop()
        try:
            with pytest.raises(redis.ConnectionError):
                client.get("harness:key")
        finally:
            redis_server.start()
        # Nothing is persisted: the restarted server is empty.
        assert client.get("harness:key") is None
        client.set("harness:key", b"after")
        assert client.get("harness:key") == b"after"
    redis_server.flushall()
