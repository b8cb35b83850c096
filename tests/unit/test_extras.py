"""A feature whose library is not installed says which extra of odoo-cloud
brings it. A library is made absent here as Python allows: ``None`` in
``sys.modules`` makes its import raise ModuleNotFoundError."""

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

from odoo_cloud import config, health, sessions
from odoo_cloud.extras import Extra, MissingExtra
from odoo_cloud.metrics import prometheus
from odoo_cloud.storage import BACKENDS, Stores

REPO = Path(__file__).resolve().parents[2]


def uninstall(monkeypatch, modules, importers):
    """Make ``modules`` absent, and forget the suite's modules that import
    them (``importers``), so that they import them again; each is restored
    afterwards."""
    for name in modules:
        monkeypatch.setitem(sys.modules, name, None)
    for name in importers:
        monkeypatch.delitem(sys.modules, name, raising=False)


def test_the_absence_of_its_module_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "yaml", None)
    extra = Extra("docs", ("yaml",))
    assert extra.missing_module() == "yaml"
    with pytest.raises(MissingExtra) as error, extra.needed_by("the YAML export"):
        import yaml.constructor  # noqa: F401
    assert str(error.value) == (
        "the YAML export needs yaml (not installed): pip install 'odoo-cloud[docs]'"
    )
    assert isinstance(error.value.__cause__, ModuleNotFoundError)
    assert error.value.extra is extra


def test_a_missing_module_of_the_suite_stays_what_it_is():
    extra = Extra("docs", ("yaml",))
    with pytest.raises(ModuleNotFoundError) as error, extra.needed_by("a feature"):
        importlib.import_module("odoo_cloud.no_such_module")
    assert type(error.value) is ModuleNotFoundError
    assert extra.missing_module() is None


def test_a_dotted_module_whose_package_is_absent_is_missing():
    extra = Extra("azure", ("no_such_package.storage.blob",))
    assert extra.missing_module() == "no_such_package.storage.blob"
    with pytest.raises(MissingExtra) as error, extra.needed_by("the Azure backend"):
        importlib.import_module("no_such_package.storage.blob")
    assert str(error.value) == (
        "the Azure backend needs no_such_package.storage.blob (not installed): "
        "pip install 'odoo-cloud[azure]'"
    )


@pytest.mark.parametrize(
    ("scheme", "modules", "message"),
    [
        (
            "s3",
            ("boto3", "botocore"),
            "the S3 backend needs boto3 (not installed): pip install 'odoo-cloud[s3]'",
        ),
        (
            "swift",
            ("swiftclient", "keystoneauth1"),
            "the Swift backend needs swiftclient (not installed): "
            "pip install 'odoo-cloud[swift]'",
        ),
        (
            "azure",
            ("azure.storage.blob", "azure.identity"),
            "the Azure backend needs azure.storage.blob (not installed): "
            "pip install 'odoo-cloud[azure]'",
        ),
    ],
)
def test_a_backend_without_its_library_names_its_extra(
    monkeypatch, scheme, modules, message
):
    uninstall(monkeypatch, modules, [f"odoo_cloud.storage.{scheme}.store"])
    stores = Stores(config.load({BACKENDS[scheme].bucket_variable: "files"}))
    with pytest.raises(MissingExtra) as error:
        stores.get(scheme, "files")
    assert str(error.value) == message
    assert error.value.extra.name == scheme


def test_readiness_fails_naming_the_extra_of_a_backend_without_its_library(
    monkeypatch,
):
    uninstall(monkeypatch, ["boto3", "botocore"], ["odoo_cloud.storage.s3.store"])
    stores = Stores(config.load({"AWS_BUCKETNAME": "files"}))
    assert stores.write_schemes() == ["s3"]
    check = health.object_store_check(lambda: stores.write_stores(["acme"]))
    ready, body = health.readiness({"object_store": check}, 2)
    assert not ready
    assert body["checks"]["object_store"]["error"] == (
        "the S3 backend needs boto3 (not installed): pip install 'odoo-cloud[s3]'"
    )


def test_the_session_store_without_redis_names_its_extra(monkeypatch):
    uninstall(monkeypatch, ["redis"], ["odoo_cloud.sessions.store"])
    with pytest.raises(MissingExtra) as error:
        from odoo_cloud.sessions.store import sessions_from_config  # noqa: F401
    assert str(error.value) == (
        "the Redis session store needs redis (not installed): "
        "pip install 'odoo-cloud[redis]'"
    )
    assert isinstance(error.value, config.ConfigError)


def test_the_prometheus_sink_without_its_library_names_its_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "prometheus_client", None)
    with pytest.raises(MissingExtra) as error:
        prometheus.PrometheusSink(str(tmp_path))
    assert str(error.value) == (
        "the Prometheus sink needs prometheus_client (not installed): "
        "pip install 'odoo-cloud[prometheus]'"
    )


def test_each_extra_is_a_file_of_requirements_that_everything_installs():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    dynamic = project["tool"]["setuptools"]["dynamic"]
    extras = {
        name: spec["file"] for name, spec in dynamic["optional-dependencies"].items()
    }
    files = sorted(f"requirements/{path.name}" for path in REPO.glob("requirements/*"))
    everything = extras.pop("all")
    assert dynamic["dependencies"]["file"] == ["requirements/core.txt"]
    assert sorted(everything) == sorted(file for (file,) in extras.values())
    assert sorted(["requirements/core.txt", *everything]) == files
    included = [
        line.removeprefix("-r ")
        for line in (REPO / "requirements.txt").read_text().splitlines()
        if line.startswith("-r ")
    ]
    assert sorted(included) == files
    declared = {
        BACKENDS["s3"].extra.name,
        BACKENDS["swift"].extra.name,
        sessions.EXTRA.name,
        prometheus.EXTRA.name,
    }
    assert declared <= set(extras)


def test_the_core_and_odoo_cloud_check_load_no_library_of_an_extra():
    modules = [
        *BACKENDS["s3"].extra.modules,
        *BACKENDS["swift"].extra.modules,
        *sessions.EXTRA.modules,
        *prometheus.EXTRA.modules,
    ]
    script = (
        "import contextlib, io, sys\n"
        "from odoo_cloud import cli, config, health, logs, metrics, platform\n"
        "from odoo_cloud.storage.configured import configured_stores\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    code = cli.main(['check'])\n"
        f"print(code, sorted(set({modules!r}) & set(sys.modules)))"
    )
    turned_on = {
        "AWS_BUCKETNAME": "acme-files",
        "SWIFT_WRITE_CONTAINER": "acme-files",
        "ODOO_SESSION_REDIS": "1",
    }
    path_of_the_suite = {
        name: os.environ[name] for name in ("PATH", "PYTHONPATH") if name in os.environ
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**path_of_the_suite, **turned_on},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout == "0 []\n", result.stderr
