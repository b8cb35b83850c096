"""``odoo-cloud check``, run as the operator runs it: the installed console
script, in a process whose environment holds only what the test sets."""

import subprocess
import sys
from pathlib import Path

import pytest

from odoo_cloud.config import catalogue

ODOO_CLOUD = Path(sys.executable).with_name("odoo-cloud")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "prod.env"
PROD = {
    "ODOO_SESSION_REDIS": "1",
    "ODOO_SESSION_REDIS_HOST": "redis.example.com",
    "ODOO_SESSION_REDIS_PREFIX": "acme-odoo-prod",
    "ODOO_LOGGING_JSON": "1",
    "AWS_BUCKETNAME": "acme-odoo-prod",
    "AWS_SECRET_ACCESS_KEY": "aws-secret-value",
}


def check(*args, **environ):
    return subprocess.run(
        [str(ODOO_CLOUD), "check", *args],
        env={"PATH": "/usr/bin:/bin", **environ},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_an_integration_bucket_in_prod_exits_1_naming_it():
    result = check(
        "--env", "prod", **{**PROD, "AWS_BUCKETNAME": "acme-odoo-integration"}
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "RUNNING_ENV=prod: 1 platform rule violated",
        "- AWS_BUCKETNAME=acme-odoo-integration: expected <project>-odoo-prod "
        "(regex ^[a-z0-9][a-z0-9_-]*-odoo-prod$)",
        "  fix: rename it <project>-odoo-prod, or set AWS_BUCKETNAME_UNSTRUCTURED=1 "
        "if the platform names it otherwise",
    ]
    assert "aws-secret-value" not in result.stdout + result.stderr


def test_a_compliant_prod_exits_0():
    result = check("--env", "prod", **PROD)
    assert result.returncode == 0, result.stderr
    assert (
        result.stdout.splitlines()[-1] == "RUNNING_ENV=prod: every platform rule holds"
    )
    assert result.stderr == ""


def test_without_env_the_running_environment_is_checked():
    result = check(RUNNING_ENV="integration", **PROD)
    assert result.returncode == 1
    assert result.stderr.startswith("RUNNING_ENV=integration: 2 platform rules")
    for name in ("ODOO_SESSION_REDIS_PREFIX", "AWS_BUCKETNAME=acme-odoo-prod"):
        assert f"\n- {name}" in result.stderr


def test_env_overrides_the_running_environment():
    assert check("--env", "prod", RUNNING_ENV="dev", **PROD).returncode == 0


def test_dev_requires_nothing():
    result = check(RUNNING_ENV="dev")
    assert result.returncode == 0
    assert result.stdout.endswith("RUNNING_ENV=dev: every platform rule holds\n")


def test_without_a_running_environment_only_the_variables_are_checked():
    result = check(**PROD)
    assert result.returncode == 0
    assert result.stdout.splitlines()[-1] == (
        "platform rules not checked: RUNNING_ENV is unset (or pass --env)"
    )


@pytest.mark.parametrize(
    ("args", "environ", "message"),
    [
        (["--env", "staging"], {}, "invalid choice: 'staging'"),
        ([], {"RUNNING_ENV": "staging"}, "RUNNING_ENV='staging' must be one of"),
    ],
)
def test_an_unknown_running_environment_exits_2(args, environ, message):
    result = check(*args, **environ)
    assert result.returncode == 2
    assert message in result.stderr


def test_the_example_production_environment_is_compliant():
    # The process environment would break two rules: --env-file ignores it.
    result = check(
        "--env-file", str(EXAMPLE), RUNNING_ENV="integration", SWIFT_WRITE_CONTAINER="x"
    )
    assert (result.returncode, result.stderr) == (0, "")
    shown = [line.split() for line in result.stdout.splitlines()]
    assert ["RUNNING_ENV", "prod", "(env)"] in shown
    assert ["ODOO_SESSION_REDIS_PASSWORD", "********", "(env)"] in shown
    assert ["AWS_SECRET_ACCESS_KEY", "********", "(env)"] in shown
    assert not any("SWIFT" in line[0] or "(default" in line[-1] for line in shown)
    set_in_file = [line for line in shown if line[-1] == "(env)"]
    others = len(catalogue()) - len(set_in_file)
    assert result.stdout.splitlines()[-2:] == [
        f"({others} other variables at their defaults: --all prints them)",
        "RUNNING_ENV=prod: every platform rule holds",
    ]


def test_a_malformed_env_file_exits_2_naming_its_line(tmp_path):
    path = tmp_path / "platform.env"
    path.write_text("RUNNING_ENV=prod\nODOO_SESSION_REDIS_PASSWORD hunter2\n")
    result = check("--env-file", str(path))
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        f"odoo-cloud check: error: argument --env-file: {path}, line 2: "
        "expected NAME=value, NAME made of letters, digits and _, not starting "
        "with a digit, right before the '=' (the line is not shown: it may hold "
        "a secret)."
    )
    assert "hunter2" not in result.stderr
    assert "ODOO_SESSION_REDIS_PASSWORD" not in result.stderr
