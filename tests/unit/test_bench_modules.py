"""Every benchmark imports: they run by hand, not in the test tiers, so a
name they take from the platform must not disappear unnoticed."""

import importlib
import pkgutil

import pytest

import bench

MODULES = [module.name for module in pkgutil.iter_modules(bench.__path__)]


@pytest.mark.parametrize("name", MODULES)
def test_the_benchmark_imports(name):
    importlib.import_module(f"bench.{name}")
