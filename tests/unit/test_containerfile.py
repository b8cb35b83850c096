"""The Containerfile and its entrypoint, without building anything: hadolint
passes, the image exposes and probes what the code serves, loads what
``make run`` loads, and the entrypoint refuses what ``odoo-cloud check``
refuses."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from local_platform import image, serve
from odoo_cloud.metrics.http import PROBE_KINDS

REPO = Path(__file__).resolve().parents[2]
CONTAINERFILE = REPO / "Containerfile"


def load_entrypoint():
    path = REPO / "deploy" / "container" / "entrypoint.py"
    spec = importlib.util.spec_from_file_location("container_entrypoint", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


entrypoint = load_entrypoint()


def instruction(name):
    """The arguments of the Containerfile's (last) ``name`` instruction, its
    continuation lines joined."""
    text = CONTAINERFILE.read_text().replace("\\\n", " ")
    return re.findall(rf"^{name} (.+)$", text, re.M)[-1]


def test_the_image_wraps_odoos_database_operations_as_the_test_environments_do():
    assert "&& /opt/odoo/venv/bin/odoo-cloud odoo-hook" in CONTAINERFILE.read_text()


def test_hadolint_passes():
    hadolint = Path(sys.executable).with_name("hadolint")
    linted = subprocess.run(
        [hadolint, "--no-color", CONTAINERFILE], capture_output=True, text=True
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_exposes_the_ports_the_entrypoint_serves():
    exposed = instruction("EXPOSE").split()
    assert exposed == [str(entrypoint.HTTP_PORT), str(entrypoint.GEVENT_PORT)]
    assert f"--http-port={entrypoint.HTTP_PORT}" in entrypoint.SERVER_OPTIONS
    assert f"--gevent-port={entrypoint.GEVENT_PORT}" in entrypoint.SERVER_OPTIONS


def test_healthcheck_asks_the_liveness_probe():
    url = re.search(r"'(http://[^']+)'", instruction("HEALTHCHECK"))[1]
    assert url == f"http://127.0.0.1:{entrypoint.HTTP_PORT}/health/live"
    assert PROBE_KINDS["/health/live"] == "health"


class Tree:
    series = "18.0"
    src = Path("/opt/odoo/18.0")

    def default_server_wide_modules(self):
        return ("base", "web")


def test_loads_the_tree_modules_then_those_of_make_run():
    command = image.build_command(Tree(), image.BASE_IMAGE)
    suite = ",".join(serve.SUITE_LOAD)
    assert f"--build-arg=SERVER_WIDE_MODULES=base,web,{suite}" in command
    assert "ODOO_SERVER_WIDE_MODULES=${SERVER_WIDE_MODULES}" in instruction("ENV")
    assert entrypoint.ODOO_OPTIONS["ODOO_SERVER_WIDE_MODULES"] == "server_wide_modules"


def test_builds_with_the_tree_as_its_odoo_context():
    command = image.build_command(Tree(), image.BASE_IMAGE)
    assert "--build-context=odoo=/opt/odoo/18.0" in command
    assert "--tag=odoo-cloud:18.0" in command


def test_options_become_an_odoo_configuration():
    environ = {"PGHOST": "db", "PGPASSWORD": "secret", "ODOO_WORKERS": "4"}
    options = dict(entrypoint.odoo_configuration(environ).items("options"))
    assert options == {"db_host": "db", "db_password": "secret", "workers": "4"}


def test_the_configuration_file_is_readable_by_its_owner_alone(tmp_path):
    path = tmp_path / "odoo.conf"
    configuration = entrypoint.odoo_configuration({"PGPASSWORD": "secret"})
    entrypoint.write_configuration(configuration, path)
    assert path.read_text() == "[options]\ndb_password = secret\n\n"
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_line_break_cannot_add_an_option():
    with pytest.raises(entrypoint.Refused, match="PGUSER holds a line break"):
        entrypoint.odoo_configuration({"PGUSER": "odoo\nadmin_passwd = x"})


def test_a_secret_comes_from_its_file(tmp_path):
    (tmp_path / "password").write_text("s3cret\n")
    environ = {"AWS_SECRET_ACCESS_KEY_FILE": str(tmp_path / "password")}
    read = entrypoint.read_secret_files(environ)
    assert read == {"AWS_SECRET_ACCESS_KEY": "s3cret"}


def test_a_file_of_a_variable_that_is_not_secret_stays_a_path():
    environ = {"ODOO_SESSION_REDIS_TLS_CA_FILE": "/etc/redis/ca.pem"}
    assert entrypoint.read_secret_files(environ) == environ


def test_a_secret_and_its_file_are_refused_together(tmp_path):
    environ = {"PGPASSWORD": "a", "PGPASSWORD_FILE": str(tmp_path)}
    with pytest.raises(entrypoint.Refused, match="PGPASSWORD and PGPASSWORD_FILE"):
        entrypoint.read_secret_files(environ)


def test_refuses_to_start_without_running_env():
    with pytest.raises(entrypoint.Refused, match="RUNNING_ENV is not set"):
        entrypoint.check({})


def test_refuses_a_production_bucket_in_integration():
    environ = {
        "RUNNING_ENV": "integration",
        "AWS_BUCKETNAME": "acme-odoo-prod",
        "ODOO_SESSION_REDIS": "1",
        "ODOO_SESSION_REDIS_HOST": "redis",
        "ODOO_SESSION_REDIS_PREFIX": "acme-odoo-integration",
        "ODOO_LOGGING_JSON": "1",
    }
    with pytest.raises(entrypoint.Refused, match="AWS_BUCKETNAME=acme-odoo-prod"):
        entrypoint.check(environ)


def test_the_build_context_allows_every_addon_and_nothing_else_at_the_top():
    """.dockerignore is an allow-list: an addon it forgets is missing from
    the image (tests/integration/test_image_context.py builds it for real)."""
    lines = (REPO / ".dockerignore").read_text().splitlines()
    allowed = {line[1:].split("/")[0] for line in lines if line.startswith("!")}
    addons = {path.parent.name for path in REPO.glob("*/__manifest__.py")}
    assert addons <= allowed
    assert "*" in lines
