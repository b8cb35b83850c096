"""Test tiers, server fixtures, and the check that no server outlives the run.

The tier of a test is the directory it lives in: ``unit``, ``integration`` or
``odoo`` (select one with ``-m``).
"""

from pathlib import Path

import pytest

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
        # With `--dist loadgroup`, one test process runs a series' whole tier,
        # but for the modules that name a group of their own.
        callspec = getattr(item, "callspec", None)
        if item.get_closest_marker("xdist_group"):
            continue
        if callspec is not None and "odoo_tree" in callspec.params:
            series = getattr(callspec.params["odoo_tree"], "series", "unusable")
            item.add_marker(pytest.mark.xdist_group(f"odoo-{series}"))


SURVIVORS = pytest.StashKey[list]()


def pytest_sessionfinish(session):
    """Fail the run when a server started by a fixture is still running.

    Session fixtures are torn down with the last test, so anything alive here
    was left behind by a fixture. A test process of pytest-xdist hands its
    survivors to the main process, which reports them all.
    """
    config = session.config
    left = survivors()
    if hasattr(config, "workeroutput"):
        config.workeroutput["survivors"] = left
        return
    left += config.stash.get(SURVIVORS, [])
    if left:
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        for name, pids in left:
            reporter.write_line(f"server left running by a fixture: {name} {pids}")
        session.exitstatus = 1


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    survivors_of_node = getattr(node, "workeroutput", {}).get("survivors", [])
    node.config.stash.setdefault(SURVIVORS, []).extend(survivors_of_node)
