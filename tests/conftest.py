"""Test tiers, server fixtures, and the check that no server outlives the run.

The tier of a test is the directory it lives in: ``unit``, ``integration`` or
``odoo`` (select one with ``-m``).
"""

from pathlib import Path

from local_platform.process import survivors

pytest_plugins = ["pytester", "harness.fixtures"]

TESTS = Path(__file__).parent
# Addons' own tests run inside Odoo, through pytest-odoo
# (local_platform/odoo_server.py).
collect_ignore = ["odoo/addons"]
TIERS = ("unit", "integration", "odoo")


def pytest_collection_modifyitems(items):
    for item in items:
        tier = item.path.relative_to(TESTS).parts[0]
        if tier in TIERS:
            item.add_marker(tier)


def pytest_sessionfinish(session):
    """Fail the run when a server started by a fixture is still running.

    Session fixtures are torn down with the last test, so anything alive here
    was left behind by a fixture.
    """
    left = survivors()
    if left:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        for name, pids in left:
            reporter.write_line(f"server left running by a fixture: {name} {pids}")
        session.exitstatus = 1
