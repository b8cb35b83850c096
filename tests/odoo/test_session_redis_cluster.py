"""Two odoo-bin (prefork) sharing a database and a Redis Cluster whose master
crashes while their users work."""

import time
import uuid

from local_platform.process import wait_until
from local_platform.redis_server import run_redis_cluster

LOAD = ("base", "web", "session_redis", "session_gc_noop")
ADMIN = 2
SESSIONS_PER_MASTER = 2
FAILOVER_TIMEOUT = 60


def answer(server, sid):
    """What ``server`` answers the session ``sid``: its user's id, or the
    HTTP status when it is not 200."""
    reply = server.jsonrpc("/web/session/get_session_info", sid=sid)
    if reply.status_code != 200:
        return reply.status_code
    return reply.json()["result"]["uid"]


def test_a_crashed_master_s_users_wait_for_its_replica_the_others_keep_working(
    odoo_server, odoo_database, tmp_path
):
    database = odoo_database(["web"])
    # The other masters answer while one is down (Redis' default, yes, stops
    # the whole cluster until the replica is promoted).
    config = "cluster-require-full-coverage no\n"
    with run_redis_cluster(tmp_path, config) as cluster:
        victim, entry, _ = cluster.masters()
        prefix = f"test-{uuid.uuid4().hex[:8]}"
        env = {
            "ODOO_SESSION_REDIS": "1",
            "ODOO_SESSION_REDIS_CLUSTER": "1",
            # A process starting while the node it is given is down could
            # not find the others: give one that stays up.
            "ODOO_SESSION_REDIS_HOST": entry.host,
            "ODOO_SESSION_REDIS_PORT": str(entry.port),
            "ODOO_SESSION_REDIS_PREFIX": prefix,
        }
        servers = [odoo_server(database, load=LOAD, env=env) for _ in range(2)]
        first, second = servers

        sids = {master: [] for master in cluster.masters()}
        while min(map(len, sids.values())) < SESSIONS_PER_MASTER:
            sid = first.login().cookies["session_id"]
            sids[cluster.serving(f"{prefix}:session:{sid[:42]}")].append(sid)
            assert answer(second, sid) == ADMIN
        crashed = sids.pop(victim)
        others = [sid for group in sids.values() for sid in group]
        cluster.wait_until_replicated()

        victim.kill()
        killed_at = time.monotonic()
        refused = []  # seconds after the kill
        while True:
            crashed_answers = []
            for server in servers:
                for sid in others:
                    assert answer(server, sid) == ADMIN
                status = answer(server, crashed[0])
                if status == 503:
                    refused.append(time.monotonic() - killed_at)
                crashed_answers.append(status)
            if crashed_answers == [ADMIN, ADMIN]:
                break
            assert set(crashed_answers) <= {503, ADMIN}, crashed_answers
            assert time.monotonic() - killed_at < FAILOVER_TIMEOUT

        assert refused
        for server in servers:
            # Each prefork worker learns the promoted replica on its own first
            # request to that master: there, a session may wait a moment more.
            for sid in crashed + others:
                wait_until(
                    lambda server=server, sid=sid: answer(server, sid) == ADMIN,
                    FAILOVER_TIMEOUT, f"session {sid[:8]} on {server.url}",
                )  # fmt: skip
            log = server.log()
            errors = [line for line in log.splitlines() if " ERROR " in line]
            # One line per worker that met the outage, naming the master that
            # failed, not the node Odoo was given.
            failed = f"{victim.host}:{victim.port}: Connection refused"
            assert errors and all(f"is unreachable ({failed})" in e for e in errors)
            warnings = [line for line in log.splitlines() if " WARNING " in line]
            assert 1 <= len(warnings) <= len(errors), warnings
            assert all("answers again." in warning for warning in warnings)
            assert "Traceback" not in log
        print(
            f"\nthe crashed master's users got 503 from {refused[0]:.2f} s to "
            f"{refused[-1]:.2f} s after the kill"
        )
