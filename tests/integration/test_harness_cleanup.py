"""No server started by a fixture outlives the pytest session that started it."""

import json

from local_platform.odoo_server import REPO
from local_platform.process import group_members

INNER_TEST = """
import json
import os

from local_platform.process import STARTED


def test_start_every_server(
    redis_server,
    redis_sentinel,
    redis_cluster,
    swift,
    moto_server,
    azurite,
    postgres,
    statsd_receiver,
):
    with open(os.environ["SERVER_PIDS"], "w") as pids:
        json.dump({server.name: server.pid for server in STARTED}, pids)
"""


def test_no_server_survives_the_session(pytester, monkeypatch):
    pids_file = pytester.path / "pids.json"
    monkeypatch.setenv("SERVER_PIDS", str(pids_file))
    monkeypatch.setenv("PYTHONPATH", f"{REPO}:{REPO / 'tests'}")
    pytester.makepyfile(test_inner=INNER_TEST)
    result = pytester.runpytest_subprocess("-p", "no:odoo", "-p", "harness.fixtures")
    result.assert_outcomes(passed=1)
    started = json.loads(pids_file.read_text())
    # redis 1, sentinel group 5, cluster 6, swift 5 (memcached and four
    # servers), moto 1, azurite 1, postgres 1: every kind of server was
    # really started.
    assert len(started) == 20, started
    assert {name: pid for name, pid in started.items() if group_members(pid)} == {}
