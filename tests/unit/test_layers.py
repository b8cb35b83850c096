"""The import contracts of .importlinter hold: the core never imports Odoo."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


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
