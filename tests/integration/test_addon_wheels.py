"""Each addon builds as a wheel from its setuptools-odoo layout in setup/."""

import subprocess
import sys
import zipfile

import pytest
from harness.odoo_server import REPO, SUITE_ADDONS


@pytest.mark.parametrize("addon", SUITE_ADDONS)
def test_pip_wheel_builds_the_addon(addon, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", tmp_path,
         REPO / "setup" / addon],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = tmp_path.glob("*.whl")
    assert wheel.name.startswith(f"odoo_addon_{addon}-18.0.")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(next(n for n in names if n.endswith("METADATA")))
    assert f"odoo/addons/{addon}/__manifest__.py" in names
    assert b"Requires-Dist: odoo==18.0.*" in metadata
    assert b"Requires-Dist: odoo-cloud" in metadata
