"""The Odoo tier itself: the suite installs, odoo-bin serves, pytest-odoo runs."""

import urllib.request
from pathlib import Path

import pytest

from local_platform.odoo_server import SUITE_ADDONS, run_addon_tests

PROBE = Path(__file__).parent / "addons" / "odoo_cloud_probe"
# cloud_platform refuses a database whose running environment is unknown.
DEV = {"RUNNING_ENV": "dev"}


@pytest.fixture(scope="module")
def suite_database(odoo_database):
    return odoo_database(SUITE_ADDONS, env=DEV)


def test_every_suite_addon_installs(odoo, suite_database):
    names = ",".join(f"'{name}'" for name in SUITE_ADDONS)
    rows = odoo.postgres.psql(
        "SELECT name, state FROM ir_module_module "
        f"WHERE name IN ({names}) ORDER BY name",
        dbname=suite_database,
    )
    assert rows.splitlines() == [f"{name}|installed" for name in SUITE_ADDONS]


@pytest.mark.parametrize("workers", [2, 0], ids=["prefork", "threaded"])
def test_odoo_bin_serves_the_login_page(odoo_server, suite_database, workers):
    server = odoo_server(
        suite_database,
        load=("base", "web", "session_redis", "logging_json"),
        workers=workers,
        env=DEV,
    )
    with urllib.request.urlopen(f"{server.url}/web/login", timeout=30) as reply:
        assert reply.status == 200
        assert b"oe_login_form" in reply.read()


def test_pytest_odoo_runs_an_addon_s_tests(odoo, odoo_database):
    database = odoo_database(["odoo_cloud_probe"])
    result = run_addon_tests(odoo, database, [PROBE / "tests" / "test_probe.py"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
