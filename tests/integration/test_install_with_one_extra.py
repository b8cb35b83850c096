"""odoo-cloud as ``pip install 'odoo-cloud[s3]'`` installs it, in an
environment of its own holding the core and that one extra: the
configuration and the S3 store work, and what needs another extra says
which."""

import os
import shutil
import subprocess
import textwrap
import uuid
import venv
from pathlib import Path

import pytest
from harness.object_stores import moto_environ

REPO = Path(__file__).resolve().parents[2]
PACKAGE_SOURCES = (
    "pyproject.toml",
    "README.md",
    "requirements",
    "odoo_cloud",
    "odoo_cloud_adapter",
)
BYTECODE = shutil.ignore_patterns("__pycache__")
# The modules of every other extra, as they are imported.
OTHER_EXTRAS = ("swiftclient", "keystoneauth1", "azure", "redis", "prometheus_client")


@pytest.fixture(scope="module")
def s3_only(tmp_path_factory):
    """The environment's bin directory. It is installed from a copy of what
    the package is built from, as the Containerfile copies it: a build in the
    repository would leave its files there. pip keeps its cache: what it
    downloaded once is installed again from there."""
    directory = tmp_path_factory.mktemp("extras")
    source = directory / "odoo-cloud"
    source.mkdir()
    for name in PACKAGE_SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=BYTECODE)
        else:
            shutil.copy(REPO / name, source)
    environment = directory / "s3-only"
    venv.EnvBuilder(with_pip=True).create(environment)
    bin_dir = environment / "bin"
    outside_the_suite = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    installed = subprocess.run(
        [bin_dir / "python", "-m", "pip", "install", "-q",
         "--disable-pip-version-check", f"{source}[s3]"],
        env=outside_the_suite, capture_output=True, text=True, timeout=600,
        check=False,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return bin_dir


def run(command, **environ):
    """``command`` in a process that sees only ``environ`` of the suite's
    variables, and nothing of the suite's own environment: no PYTHONPATH, and
    a working directory outside the repository."""
    return subprocess.run(
        [str(part) for part in command],
        env={"PATH": "/usr/bin:/bin", **environ},
        cwd="/",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def python(s3_only, script, **environ):
    return run([s3_only / "python", "-c", textwrap.dedent(script)], **environ)


def test_it_holds_the_core_and_boto3_alone(s3_only):
    result = python(
        s3_only,
        f"""
        import importlib.util
        import odoo_cloud
        print(odoo_cloud.__file__)
        for module in ("boto3", *{OTHER_EXTRAS!r}):
            print(module, importlib.util.find_spec(module) is not None)
        """,
    )
    assert result.returncode == 0, result.stderr
    where, *found = result.stdout.splitlines()
    assert where.startswith(str(s3_only.parent))
    assert found == ["boto3 True", *(f"{module} False" for module in OTHER_EXTRAS)]


def test_every_variable_loads_and_the_s3_store_works(s3_only, moto_server):
    bucket = f"extras-{uuid.uuid4().hex[:12]}"
    result = python(
        s3_only,
        """
        from odoo_cloud import config
        from odoo_cloud.storage.configured import configured_stores

        config.load()
        print(len(config.catalogue()))
        (store,) = configured_stores().write_stores(["acme"])
        store.put("ab/cdef", b"content")
        print(store.bucket, store.get("ab/cdef").decode())
        """,
        **moto_environ(moto_server, AWS_BUCKETNAME=bucket),
    )
    assert result.returncode == 0, result.stderr
    count, read = result.stdout.splitlines()
    assert int(count) > 50
    assert read == f"{bucket} content"


def test_a_swift_store_names_the_extra_to_install(s3_only):
    result = python(
        s3_only,
        """
        from odoo_cloud.storage.configured import configured_stores

        configured_stores().get("swift", "acme-files")
        """,
        SWIFT_WRITE_CONTAINER="acme-files",
    )
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "odoo_cloud.extras.MissingExtra: the Swift backend needs swiftclient "
        "(not installed): pip install 'odoo-cloud[swift]'"
    )


def test_odoo_cloud_check_names_each_extra_missing(s3_only):
    result = run(
        [s3_only / "odoo-cloud", "check"],
        AWS_BUCKETNAME="acme-files",
        SWIFT_WRITE_CONTAINER="acme-files",
        SWIFT_AUTH_URL="https://keystone.example.com/v3",
        ODOO_SESSION_REDIS="1",
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        "SWIFT_WRITE_CONTAINER=acme-files asks for the Swift backend, which needs "
        "swiftclient (not installed): pip install 'odoo-cloud[swift]'",
        "ODOO_SESSION_REDIS=true asks for the Redis session store, which needs "
        "redis (not installed): pip install 'odoo-cloud[redis]'",
    ]


def test_importing_sessions_says_which_extra_brings_redis(s3_only, tmp_path):
    result = run(
        [s3_only / "odoo-cloud", "sessions-import", "--dir", tmp_path],
        ODOO_SESSION_REDIS="1",
    )
    assert result.returncode == 2
    assert result.stderr == (
        "the Redis session store needs redis (not installed): "
        "pip install 'odoo-cloud[redis]'\n"
    )
