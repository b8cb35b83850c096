"""Each addon builds as a wheel for each Odoo series, from its setuptools-odoo
layout in setup/."""

import os
import subprocess
import sys
import zipfile

import pytest

from local_platform.odoo_server import REPO, SUITE_ADDONS
from odoo_cloud_adapter.series import SUPPORTED_SERIES


def build_wheel(addon, directory, series):
    return subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", directory,
         REPO / "setup" / addon],
        env={**os.environ, "ODOO_SERIES": series} if series else os.environ,
        capture_output=True, text=True, check=False,
    )  # fmt: skip


@pytest.mark.parametrize("series", SUPPORTED_SERIES)
@pytest.mark.parametrize("addon", SUITE_ADDONS)
def test_pip_wheel_builds_the_addon_for_each_series(addon, series, tmp_path):
    result = build_wheel(addon, tmp_path, series)
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = tmp_path.glob("*.whl")
    assert wheel.name.startswith(f"odoo_addon_{addon}-{series}.1.0.0-")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(next(n for n in names if n.endswith("METADATA")))
    assert f"odoo/addons/{addon}/__manifest__.py" in names
    assert f"Requires-Dist: odoo=={series}.*".encode() in metadata
    assert f"Framework :: Odoo :: {series}".encode() in metadata
    assert b"Requires-Dist: odoo-cloud" in metadata


def test_a_wheel_without_a_series_says_how_to_name_it(tmp_path):
    result = build_wheel("session_redis", tmp_path, None)
    assert result.returncode != 0
    assert "ODOO_SERIES='': name the Odoo series to build for" in result.stderr
