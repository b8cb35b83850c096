"""The redis_cluster fixture gives a real Redis Cluster: three masters, each
replicated, and a master that crashes is replaced by its replica."""

from local_platform.redis_server import role, run_redis_cluster

KEYS = [f"harness:cluster:{index}" for index in range(30)]


def test_keys_spread_over_three_replicated_masters(redis_cluster):
    masters = redis_cluster.masters()
    assert len(masters) == 3
    with redis_cluster.client() as client:
        for key in KEYS:
            client.set(key, key)
        assert {redis_cluster.serving(key) for key in KEYS} == set(masters)
        redis_cluster.wait_until_replicated()
        for key in KEYS:
            replica = redis_cluster.replica_of(redis_cluster.serving(key))
            with replica.client() as replica_client:
                replica_client.execute_command("READONLY")
                assert replica_client.get(key) == key.encode()
        client.delete(*KEYS)


def test_a_killed_master_is_replaced_by_its_replica_and_rejoins(tmp_path):
    with run_redis_cluster(tmp_path) as cluster:
        key = KEYS[0]
        master = cluster.serving(key)
        replica = cluster.replica_of(master)
        with cluster.client() as client:
            client.set(key, b"kept")
        cluster.wait_until_replicated()

        master.kill()
        cluster.wait_for_promotion(replica)
        assert cluster.serving(key) is replica
        with cluster.client() as client:
            assert client.get(key) == b"kept"

        cluster.restart(master)
        assert role(master) == "slave"
        assert cluster.replica_of(replica) is master
