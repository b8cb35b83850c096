"""The import contracts of .importlinter hold: the core never imports Odoo,
the Odoo adapter layer imports no addon, and no addon imports another's
folder."""

import configparser
import subprocess
import sys
from pathlib import Path

from local_platform.odoo_server import REPO, SUITE_ADDONS


def test_the_import_contracts_are_kept():
    result = subprocess.run(
        [Path(sys.executable).with_name("lint-imports"), "--config", ".importlinter"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_contracts_name_every_addon():
    config = configparser.ConfigParser()
    config.read(REPO / ".importlinter")

    def listed(section, option):
        return config[section][option].split()

    packages = ["odoo_cloud", "odoo_cloud_adapter", *SUITE_ADDONS]
    assert listed("importlinter", "root_packages") == packages
    adapter = "importlinter:contract:adapter-without-addons"
    assert listed(adapter, "forbidden_modules") == SUITE_ADDONS
    independent = "importlinter:contract:addons-independent"
    assert listed(independent, "modules") == SUITE_ADDONS
