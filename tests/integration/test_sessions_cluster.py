"""The session store on a real Redis Cluster: sessions spread over every
master, and a master that crashes while they are used."""

import itertools
import logging
import time
import uuid

import pytest

from local_platform.redis_server import run_redis_cluster
from local_platform.session_store import make_store
from odoo_cloud.errors import SessionStoreUnavailable

FAILOVER_TIMEOUT = 30


def cluster_environ(node):
    """The store's settings, ``node`` being the one node it is given."""
    return {
        "ODOO_SESSION_REDIS_CLUSTER": "1",
        "ODOO_SESSION_REDIS_HOST": node.host,
        "ODOO_SESSION_REDIS_PORT": str(node.port),
        "ODOO_SESSION_REDIS_PREFIX": f"test-{uuid.uuid4().hex[:8]}",
    }


def logged_in_sessions(store, count=60):
    sessions = [store.new() for _ in range(count)]
    for session in sessions:
        session["uid"] = 2
        store.save(session)
    return sessions


def by_master(cluster, store, sessions):
    """``sessions`` grouped by the master that holds them."""
    groups = {}
    for session in sessions:
        master = cluster.serving(store.sessions.key(session.sid))
        groups.setdefault(master, []).append(session)
    return groups


def test_every_operation_on_sessions_spread_over_every_master(redis_cluster):
    store = make_store(cluster_environ(redis_cluster.masters()[0]))
    sessions = logged_in_sessions(store)
    groups = by_master(redis_cluster, store, sessions)
    assert set(groups) == set(redis_cluster.masters())
    hard, soft, deleted, revoked, kept = (sessions[start::5] for start in range(5))
    hard_sids = [session.sid for session in hard]
    soft_sids = [session.sid for session in soft]

    for session in hard:
        store.rotate(session, env=object())
    for session in soft:
        store.rotate(session, env=object(), soft=True)
    for session in deleted:
        store.delete(session)
    store.delete_from_identifiers([session.sid[:42] for session in revoked])

    for session in hard + soft + kept:
        assert store.get(session.sid)["uid"] == 2
    for old_sid, session in zip(soft_sids, soft, strict=True):
        assert store.get(old_sid)["next_sid"] == session.sid
    gone = [*hard_sids, *(session.sid for session in deleted + revoked)]
    for sid in gone:
        assert store.get(sid).is_new
    identifiers = {sid[:42] for sid in hard_sids}
    identifiers |= {session.sid[:42] for session in sessions}
    missing = store.get_missing_session_identifiers(identifiers)
    assert missing == {sid[:42] for sid in gone}


@pytest.mark.parametrize(
    "full_coverage",
    [False, True],
    ids=["require-full-coverage-no", "require-full-coverage-yes"],
)
def test_a_crashed_master_s_sessions_answer_503_until_its_replica_takes_over(
    tmp_path, caplog, full_coverage
):
    """``cluster-require-full-coverage no`` lets the other masters answer
    while a master is down; with Redis' default, ``yes``, the whole cluster
    refuses from the moment the master is declared failed until its replica
    is promoted."""
    coverage = "yes" if full_coverage else "no"
    config = f"cluster-require-full-coverage {coverage}\n"
    with run_redis_cluster(tmp_path, config) as cluster:
        given, victim = cluster.masters()[:2]
        # The one node the store is given: it learns the others from it.
        environ = cluster_environ(given)
        store = make_store(environ)
        groups = by_master(cluster, store, logged_in_sessions(store))
        crashed = groups.pop(victim)
        others = [session for group in groups.values() for session in group]
        cluster.wait_until_replicated()

        refused = {"crashed": [], "others": []}  # seconds after the kill
        slowest = 0
        with caplog.at_level(logging.INFO, "odoo_cloud.sessions"):
            victim.kill()
            killed_at = time.monotonic()
            users = itertools.cycle(zip(crashed, itertools.cycle(others)))
            for crashed_user, other_user in users:
                answered = {}
                for group, session in (
                    ("crashed", crashed_user),
                    ("others", other_user),
                ):
                    started = time.monotonic()
                    try:
                        answered[group] = store.get(session.sid)["uid"]
                    except SessionStoreUnavailable:
                        refused[group].append(started - killed_at)
                    slowest = max(slowest, time.monotonic() - started)
                if answered.get("crashed") == 2:
                    break
                assert time.monotonic() - killed_at < FAILOVER_TIMEOUT
            for session in crashed + others:
                assert store.get(session.sid)["uid"] == 2
                store.save(session)

        assert refused["crashed"]
        assert bool(refused["others"]) is full_coverage
        logged = [
            (record.levelname, record.getMessage())
            for record in caplog.records
            if record.name.startswith("odoo_cloud")
        ]
        assert [level for level, _ in logged] == ["ERROR", "WARNING"], logged
        # The line names the master that failed, not the node configured.
        failed = f"{victim.host}:{victim.port}: Connection refused"
        assert f"is unreachable ({failed})" in logged[0][1], logged
        assert logged[1][1].endswith(" answers again.")
        print(
            f"\ncluster-require-full-coverage {coverage}: the crashed master's "
            f"sessions answered 503 from {refused['crashed'][0]:.2f} s to "
            f"{refused['crashed'][-1]:.2f} s after the kill, the other masters' "
            + (
                f"from {refused['others'][0]:.2f} s to {refused['others'][-1]:.2f} s"
                if refused["others"]
                else "never"
            )
            + f"; slowest answer {slowest:.2f} s"
        )

        # A store built now, given only the dead node, cannot find the others
        # until that node is back (as a replica).
        dead_node = {"ODOO_SESSION_REDIS_PORT": str(victim.port)}
        fresh = make_store(environ | dead_node)
        with pytest.raises(SessionStoreUnavailable, match="Connection refused"):
            fresh.get(crashed[0].sid)
        cluster.restart(victim)
        assert fresh.get(crashed[0].sid)["uid"] == 2
