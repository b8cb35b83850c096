"""The servers of :mod:`local_platform` as pytest fixtures.

What this machine lacks (a server binary, an Odoo tree or its environment)
skips the tests that need it on a developer's machine, and fails them in CI
(``CI`` set), where every tier must run.
"""

import contextlib
import os
import shutil
from pathlib import Path

import pytest

from local_platform.azurite_server import run_azurite
from local_platform.errors import Unavailable
from local_platform.moto_server import run_moto
from local_platform.odoo_server import OdooInstance, servers_started
from local_platform.odoo_trees import configured_trees
from local_platform.postgres_server import run_postgres
from local_platform.process import running
from local_platform.prometheus_server import PrometheusServer
from local_platform.redis_server import (
    run_redis,
    run_redis_cluster,
    run_sentinel_group,
)
from local_platform.statsd_receiver import run_statsd_receiver
from local_platform.swift_server import run_swift

SCREENSHOTS_OPTION = "--screenshots"


def unavailable(reason):
    """Skip the test, or fail it in CI."""
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):
    try:
        return (yield)
    except Unavailable as missing:
        unavailable(str(missing))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    try:
        return (yield)
    except Unavailable as missing:
        unavailable(str(missing))


def pytest_addoption(parser):
    parser.addoption(
        SCREENSHOTS_OPTION,
        metavar="DIR",
        help="also save the screenshots the tests take (Prometheus' graph page, "
        "the web client through make run) to DIR (make screenshots)",
    )


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A standalone Redis shared by the session; tests that stop it must start
    it again, and tests should not rely on keys left by others."""
    with run_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(scope="session")
def redis_sentinel(tmp_path_factory):
    """A Sentinel group shared by the session. A test that kills the master
    leaves the group failed over for the tests after it: such a test should
    rather run its own group with ``run_sentinel_group(tmp_path)``."""
    with run_sentinel_group(tmp_path_factory.mktemp("sentinel")) as group:
        yield group


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory):
    """A Redis Cluster (three masters, a replica each) shared by the session.
    A test that kills a master should run its own with
    ``run_redis_cluster(tmp_path)``; tests should use keys of their own."""
    with run_redis_cluster(tmp_path_factory.mktemp("cluster")) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def swift(tmp_path_factory):
    """A Swift all-in-one shared by the session; a test that stops the proxy
    must start it again, and tests should use containers of their own."""
    with run_swift(tmp_path_factory.mktemp("swift")) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory):
    """A moto server shared by the session; tests that stop it must start it
    again, and tests should not rely on resources left by others."""
    with run_moto(tmp_path_factory.mktemp("moto")) as server:
        yield server


@pytest.fixture(scope="session")
def azurite(tmp_path_factory):
    """Azurite's blob service shared by the session; a test that stops it
    must start it again, and tests should use containers of their own."""
    with run_azurite(tmp_path_factory.mktemp("azurite")) as server:
        yield server


@pytest.fixture(scope="session")
def statsd_receiver():
    """A receiver shared by the session; call ``clear()`` before sending."""
    with run_statsd_receiver() as receiver:
        yield receiver


@pytest.fixture(scope="session")
def postgres(tmp_path_factory):
    """A PostgreSQL cluster shared by the session; tests create the databases
    they need, under names of their own."""
    with run_postgres(tmp_path_factory.mktemp("postgres")) as cluster:
        yield cluster


@pytest.fixture
def prometheus_server(tmp_path_factory):
    """Factory: ``start(target, bearer_token=None, rule_files=(ALERT_RULES,))``
    returns a started PrometheusServer; all of them stop after the test."""
    with contextlib.ExitStack() as stack:

        def start(target, **options):
            base_dir = tmp_path_factory.mktemp("prometheus")
            server = PrometheusServer(base_dir, target, **options)
            return stack.enter_context(running(server))

        yield start


@pytest.fixture(scope="session")
def keep_screenshot(request):
    """``keep(path)`` copies a screenshot into ``--screenshots``' DIR, under
    its own name, when that option is given, and does nothing otherwise."""
    destination = request.config.getoption(SCREENSHOTS_OPTION)

    def keep(path):
        if destination:
            Path(destination).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, Path(destination) / Path(path).name)

    return keep


def tree_id(tree):
    return f"odoo-{tree.series}" if not isinstance(tree, str) else "odoo-unusable"


@pytest.fixture(scope="session", params=configured_trees(), ids=tree_id)
def odoo_tree(request):
    """The Odoo tree of this run of the test (:class:`OdooTree`): every test
    of the Odoo tier runs once per tree of ``ODOO_SRC``."""
    tree = request.param
    if isinstance(tree, str):
        unavailable(f"the Odoo tier cannot run: {tree}")
    try:
        tree.check_environment()
    except ValueError as error:
        unavailable(f"the Odoo tier cannot run: {error}")
    return tree


@pytest.fixture(scope="session")
def odoo(odoo_tree, postgres, tmp_path_factory):
    """An :class:`OdooInstance` on the session's PostgreSQL cluster, whose
    calls are served by processes that import Odoo once."""
    data_dir = tmp_path_factory.mktemp(f"odoo-{odoo_tree.series}-data")
    with OdooInstance(odoo_tree, postgres, data_dir).calls_served() as instance:
        yield instance


@pytest.fixture(scope="session")
def odoo_template_db(odoo):
    """A database with ``base`` and ``web`` installed, copied by the others."""
    return odoo.install(f"odoo_cloud_template_{odoo.db_suffix}", ["base", "web"])


@pytest.fixture(scope="session")
def odoo_database(odoo, odoo_template_db):
    """Factory: a fresh database with the given addons installed."""
    counter = iter(range(1, 1000))

    def create(modules=("web",), env=None):
        name = f"odoo_cloud_test_{odoo.db_suffix}_{next(counter)}"
        return odoo.install(name, list(modules), template=odoo_template_db, env=env)

    return create


@pytest.fixture
def odoo_server(odoo, tmp_path):
    """Factory: start ``odoo-bin`` on a database; stopped after the test."""
    with servers_started(odoo, tmp_path) as start:
        yield start
