"""An addon loaded without its library stops odoo-bin at startup, naming the
extra of odoo-cloud to install, where Odoo would otherwise go on without it
(session_redis would serve every user from session_dir)."""

import os
from pathlib import Path

import pytest

HIDE_MODULES = Path(__file__).with_name("hide_modules")


@pytest.fixture(scope="module")
def database(odoo_database):
    return odoo_database(["web"])


@pytest.mark.parametrize(
    ("addon", "library", "env", "extra"),
    [
        (
            "session_redis",
            "redis",
            {"ODOO_SESSION_REDIS": "1", "ODOO_SESSION_REDIS_HOST": "127.0.0.1"},
            "redis",
        ),
        ("monitoring_prometheus", "prometheus_client", {}, "prometheus"),
    ],
)
def test_an_addon_without_its_library_stops_odoo_naming_the_extra(
    odoo, database, addon, library, env, extra
):
    # First on the path, before the checkout a caller's PYTHONPATH names.
    path = [str(HIDE_MODULES), *filter(None, [os.environ.get("PYTHONPATH")])]
    hidden = {"PYTHONPATH": os.pathsep.join(path), "HIDDEN_MODULES": library}
    result = odoo.run(
        "-d", database, f"--load=base,web,{addon}", "--stop-after-init",
        env={**env, **hidden},
        timeout=120,
    )  # fmt: skip
    assert result.returncode != 0, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"{addon}: "), result.stderr
    assert f"needs {library} (not installed): pip install 'odoo-cloud[{extra}]'" in last
