"""The redis_sentinel fixture gives a real Sentinel group that replicates."""

from local_platform.process import wait_until
from local_platform.redis_server import run_sentinel_group


def test_sentinels_name_the_master(redis_sentinel):
    sentinel = redis_sentinel.sentinel_client()
    master = sentinel.discover_master(redis_sentinel.master_name)
    assert master == redis_sentinel.master.address
    assert sentinel.discover_slaves(redis_sentinel.master_name) == [
        redis_sentinel.replica.address
    ]


def test_write_on_master_is_read_on_replica(redis_sentinel):
    sentinel = redis_sentinel.sentinel_client()
    master = sentinel.master_for(redis_sentinel.master_name)
    replica = sentinel.slave_for(redis_sentinel.master_name)
    master.set("harness:replicated", b"value")
    wait_until(
        lambda: replica.get("harness:replicated") == b"value",
        5,
        "the write to reach the replica",
    )
    master.delete("harness:replicated")


def test_killing_the_master_promotes_the_replica(tmp_path):
    with run_sentinel_group(tmp_path) as group:
        old_master = group.current_master()
        assert old_master == group.master.address
        group.master.kill()
        new_master = group.wait_for_failover(old_master)
        assert new_master == group.replica.address
        assert group.server_at(new_master).info("replication")["role"] == "master"
