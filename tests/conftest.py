"""Test tiers, server fixtures, and the check that no server outlives the run.

The tier of a test is the directory it lives in: ``unit``, ``integration`` or
``odoo`` (select one with ``-m``).
"""

import re
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


# Modules whose tests share something outside their process: `make run`'s
# port 8069, the build directories of setup/. One test process runs each.
SHARED_MODULES = {
    "tests/odoo/test_run_command.py",
    "tests/integration/test_addon_wheels.py",
}
SERIES = re.compile(r"[\[-](odoo-(?:\d+\.\d+|unusable))(?=[\]-])")


def work_unit(nodeid):
    """What one test process runs whole: a shared module, the Odoo tier of
    one series (whose databases it then builds once), or a single test."""
    module = nodeid.split("::")[0]
    if module in SHARED_MODULES:
        return module
    series = SERIES.search(nodeid)
    return series.group(1) if series else nodeid


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """`make test`'s two processes (pytest-xdist) share the tests by
    :func:`work_unit`."""
    from xdist.scheduler import LoadScopeScheduling

    class WorkUnitScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return work_unit(nodeid)

    return WorkUnitScheduling(config, log)
