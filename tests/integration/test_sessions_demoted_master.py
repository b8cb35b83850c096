"""A Redis that became a replica while the store still writes to it: the
address of a managed Redis or a virtual IP that has not moved yet after a
failover. Redis answers READONLY; the user must get a 503, not a 500."""

import pytest

from local_platform.redis_server import run_redis
from local_platform.session_store import make_store
from odoo_cloud.errors import SessionStoreUnavailable


def test_a_replica_refusing_writes_is_unavailable_then_used_again(tmp_path):
    with (
        run_redis(tmp_path, "master") as master,
        run_redis(
            tmp_path, "replica", f"replicaof {master.host} {master.port}\n"
        ) as demoted,
    ):
        store = make_store(
            {
                "ODOO_SESSION_REDIS_HOST": demoted.host,
                "ODOO_SESSION_REDIS_PORT": str(demoted.port),
            }
        )
        session = store.new()
        session["uid"] = 2
        with pytest.raises(SessionStoreUnavailable, match="read only replica"):
            store.save(session)

        # Promoted, as the failover ends: the next request is served.
        with demoted.client() as client:
            client.replicaof("NO", "ONE")
        store.save(session)
        assert store.get(session.sid)["uid"] == 2
