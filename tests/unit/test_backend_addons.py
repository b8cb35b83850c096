"""A backend is a folder of the core (``odoo_cloud/storage/<scheme>/``, its
descriptor) plus an addon shell: each part of the shell agrees with the
descriptor, so that adding a backend cannot leave one behind."""

import ast
import importlib.metadata
import re
from pathlib import Path

import pytest

from odoo_cloud.storage import BACKENDS

REPO = Path(__file__).resolve().parents[2]
# A requirement's distribution name: what precedes its version specifier.
DISTRIBUTION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def distributions(requirements_file):
    """The distributions a requirements file names, in its order."""
    return [
        DISTRIBUTION.match(line)[0]
        for line in requirements_file.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]


@pytest.fixture(params=sorted(BACKENDS), ids=str)
def backend(request):
    return BACKENDS[request.param]


def test_the_addon_requires_the_core_and_what_the_extra_installs(backend):
    addon = REPO / backend.addon
    manifest = ast.literal_eval((addon / "__manifest__.py").read_text())
    assert manifest["depends"] == ["base_attachment_object_storage"]
    extra = distributions(REPO / "requirements" / f"{backend.extra.name}.txt")
    assert manifest["external_dependencies"]["python"] == ["odoo-cloud", *extra]


def test_the_extra_installs_the_modules_the_backend_imports(backend):
    extra = {
        canonical(name)
        for name in distributions(REPO / "requirements" / f"{backend.extra.name}.txt")
    }
    installed_by = importlib.metadata.packages_distributions()
    for module in backend.extra.modules:
        package = module.partition(".")[0]
        assert {canonical(name) for name in installed_by[package]} & extra, module


def test_the_addon_has_a_wheel_setup(backend):
    setup = REPO / "setup" / backend.addon
    assert (setup / "odoo" / "addons" / backend.addon).resolve() == REPO / backend.addon
    for name in ("setup.py", "pyproject.toml"):
        shared = REPO / "setup" / "base_attachment_object_storage" / name
        assert (setup / name).read_text() == shared.read_text(), name
