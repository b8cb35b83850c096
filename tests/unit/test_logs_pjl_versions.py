"""The formatter's unit tests under each supported python-json-logger major.

The project's venv holds one release (4.x); operators run Odoo images with
2.x or 3.x too, whose formatter API differs (module names, keyword names).
Each other major gets a small venv of its own, built once and kept
beside the project's venv, that runs ``test_logs.py`` against this checkout.
"""

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TESTS = Path(__file__).with_name("test_logs.py")
MAJORS = {"2": "python-json-logger>=2,<3", "3": "python-json-logger>=3,<4"}


def build_venv(directory, requirement):
    """A venv with pytest, orjson and ``requirement``; None and the reason on
    failure."""
    packages = [requirement, "orjson", "pytest"]
    ready = directory / "ready"
    if ready.is_file() and ready.read_text() == " ".join(packages):
        return directory / "bin" / "python", None
    venv.create(directory, clear=True, with_pip=True)
    python = directory / "bin" / "python"
    pip = subprocess.run(
        [python, "-m", "pip", "install", "-q", "--disable-pip-version-check",
         *packages],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    if pip.returncode:
        return None, f"pip install {requirement} failed:\n{pip.stderr[-2000:]}"
    ready.write_text(" ".join(packages))
    return python, None


@pytest.mark.parametrize("major", sorted(MAJORS))
def test_formatter_tests_pass_with_python_json_logger(major):
    version = f"py{sys.version_info.major}{sys.version_info.minor}"
    # Beside the project's venv: built once per venv, and out of the tree.
    directory = Path(sys.prefix) / "pjl-venvs" / f"pjl{major}-{version}"
    directory.mkdir(parents=True, exist_ok=True)
    python, reason = build_venv(directory, MAJORS[major])
    if python is None:
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    installed = subprocess.run(
        [python, "-c", "from importlib.metadata import version as v;"
         "print(v('python-json-logger'))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert installed.split(".")[0] == major
    # --noconftest: the suite's conftest loads server fixtures this venv lacks.
    result = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--noconftest",
         "-o", "addopts=", f"--rootdir={REPO}", TESTS],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout and "failed" not in result.stdout
