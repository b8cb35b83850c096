import subprocess
import sys

import pytest

from odoo_cloud.cli import env_file, main
from odoo_cloud.config import catalogue


def run_check(monkeypatch, capsys, *args, **environ):
    """``odoo-cloud check ARGS`` in a process environment holding, of the
    suite's variables, only ``environ``."""
    for name in (name for variable in catalogue() for name in variable.names):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    code = main(["check", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_check_prints_only_the_variables_set_then_the_verdict(monkeypatch, capsys):
    code, out, err = run_check(
        monkeypatch,
        capsys,
        RUNNING_ENV="dev",
        ODOO_SESSION_REDIS="1",
        ODOO_SESSION_REDIS_PASSWORD="pw123",
    )
    assert code == 0 and err == ""
    assert out.splitlines() == [
        "[platform]",
        "  RUNNING_ENV                  dev  (env)",
        "[sessions]",
        "  ODOO_SESSION_REDIS           true  (env)",
        "  ODOO_SESSION_REDIS_PASSWORD  ********  (env)",
        f"({len(catalogue()) - 3} other variables at their defaults: "
        "--all prints them)",
        "RUNNING_ENV=dev: every platform rule holds",
    ]


def test_check_with_nothing_set_prints_the_verdict_alone(monkeypatch, capsys):
    code, out, _ = run_check(monkeypatch, capsys)
    assert code == 0
    assert out.splitlines() == [
        f"({len(catalogue())} other variables at their defaults: --all prints them)",
        "platform rules not checked: RUNNING_ENV is unset (or pass --env)",
    ]


def test_check_all_prints_every_variable_with_its_source(monkeypatch, capsys):
    code, out, err = run_check(
        monkeypatch,
        capsys,
        "--all",
        ODOO_SESSION_REDIS="1",
        ODOO_SESSION_REDIS_PASSWORD="pw123",
    )
    assert code == 0 and err == ""
    lines = {
        line.split()[0]: line.split()[1:] for line in out.splitlines() if "  " in line
    }
    assert lines["ODOO_SESSION_REDIS"] == ["true", "(env)"]
    assert lines["ODOO_SESSION_REDIS_PORT"] == ["6379", "(default)"]
    assert lines["ODOO_SESSION_REDIS_PASSWORD"] == ["********", "(env)"]
    assert "pw123" not in out
    assert len(lines) == len(catalogue())
    assert "--all prints them" not in out


def running_env_line(out):
    (line,) = (line for line in out.splitlines() if "RUNNING_ENV " in line)
    return line.split()


@pytest.mark.parametrize(
    ("args", "environ", "shown"),
    [
        (["--env", "prod"], {}, ["RUNNING_ENV", "prod", "(--env)"]),
        ([], {"RUNNING_ENV": "prod"}, ["RUNNING_ENV", "prod", "(env)"]),
        (["--env", "prod"], {"RUNNING_ENV": "dev"}, ["RUNNING_ENV", "prod", "(--env)"]),
    ],
)
def test_check_names_where_the_running_environment_comes_from(
    monkeypatch, capsys, args, environ, shown
):
    _, out, err = run_check(monkeypatch, capsys, *args, **environ)
    assert running_env_line(out) == shown
    assert err.startswith("RUNNING_ENV=prod: ")


def test_check_env_chooses_the_defaults_too(monkeypatch, capsys):
    _, out, _ = run_check(
        monkeypatch, capsys, "--all", "--env", "test", RUNNING_ENV="dev"
    )
    (line,) = (line for line in out.splitlines() if "_REDIS_EXPIRATION " in line)
    assert line.split()[1:] == ["86400", "(default", "in", "test)"]


PROD_FILE = """\
# production, as make run writes it
export RUNNING_ENV=prod

ODOO_SESSION_REDIS="1"
  ODOO_SESSION_REDIS_HOST='redis'
ODOO_SESSION_REDIS_PREFIX=acme-odoo-prod
AWS_BUCKETNAME="acme-odoo-prod"
AWS_SECRET_ACCESS_KEY='s3 secret'
ODOO_LOGGING_JSON=1
"""


def test_check_env_file_reads_the_file_alone(monkeypatch, capsys, tmp_path):
    path = tmp_path / "prod.env"
    path.write_text(PROD_FILE)
    code, out, err = run_check(
        monkeypatch,
        capsys,
        "--env-file",
        str(path),
        RUNNING_ENV="dev",
        SWIFT_WRITE_CONTAINER="acme-odoo-prod",
    )
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "[platform]",
        "  RUNNING_ENV                prod  (env)",
        "[sessions]",
        "  ODOO_SESSION_REDIS         true  (env)",
        "  ODOO_SESSION_REDIS_HOST    redis  (env)",
        "  ODOO_SESSION_REDIS_PREFIX  acme-odoo-prod  (env)",
        "[s3]",
        "  AWS_SECRET_ACCESS_KEY      ********  (env)",
        "  AWS_BUCKETNAME             acme-odoo-prod  (env)",
        "[logging]",
        "  ODOO_LOGGING_JSON          true  (env)",
        f"({len(catalogue()) - 7} other variables at their defaults: "
        "--all prints them)",
        "RUNNING_ENV=prod: every platform rule holds",
    ]


@pytest.mark.parametrize(
    ("line", "value"),
    [
        ("A=plain", "plain"),
        ("A='single quoted'", "single quoted"),
        ('A="double quoted"', "double quoted"),
        ("export   A=exported", "exported"),
        ("A=\"unbalanced'", "\"unbalanced'"),
        ('A="', '"'),
        ("A=", ""),
        ("A=x=y # kept", "x=y # kept"),
    ],
)
def test_env_file_values(tmp_path, line, value):
    path = tmp_path / "a.env"
    path.write_text(line + "\n")
    assert env_file(str(path)) == {"A": value}


@pytest.mark.parametrize(
    "line",
    [
        "hunter2",
        "MY VAR=hunter2",
        "1A=hunter2",
        # A space for the '=': the name holds the value, and its '=' padding
        # makes an '=' anyway.
        "AZURE_STORAGE_ACCOUNT_KEY hunter2==",
    ],
)
def test_check_env_file_refuses_a_malformed_line(monkeypatch, capsys, tmp_path, line):
    path = tmp_path / "bad.env"
    path.write_text(f"# comment\nRUNNING_ENV=dev\n{line}\n")
    with pytest.raises(SystemExit) as exit_:
        run_check(monkeypatch, capsys, "--env-file", str(path))
    _, err = capsys.readouterr()
    assert exit_.value.code == 2
    assert f"argument --env-file: {path}, line 3: expected NAME=value" in err
    assert "hunter2" not in err


def test_check_env_file_refuses_a_missing_file(monkeypatch, capsys, tmp_path):
    path = tmp_path / "missing.env"
    with pytest.raises(SystemExit) as exit_:
        run_check(monkeypatch, capsys, "--env-file", str(path))
    _, err = capsys.readouterr()
    assert exit_.value.code == 2
    assert f"cannot read {path}: No such file or directory." in err


def test_check_exits_2_with_one_line_per_bad_variable(monkeypatch, capsys):
    code, out, err = run_check(
        monkeypatch, capsys, ODOO_SESSION_REDIS="maybe", ODOO_SESSION_REDIS_PORT="abc"
    )
    assert code == 2 and out == ""
    assert err.splitlines() == [
        "ODOO_SESSION_REDIS='maybe' is not a boolean "
        "(use 1/0, true/false, yes/no or on/off)",
        "ODOO_SESSION_REDIS_PORT='abc' is not a TCP/UDP port number (1-65535)",
    ]


def test_check_exits_2_naming_the_extra_of_a_library_not_installed(monkeypatch, capsys):
    for module in ("boto3", "redis"):
        monkeypatch.setitem(sys.modules, module, None)
    code, out, err = run_check(
        monkeypatch,
        capsys,
        RUNNING_ENV="dev",
        AWS_BUCKETNAME="acme-files",
        ODOO_SESSION_REDIS="1",
        SWIFT_WRITE_CONTAINER="acme-files",
    )
    assert code == 2
    assert ["AWS_BUCKETNAME", "acme-files", "(env)"] in map(str.split, out.splitlines())
    assert err.splitlines() == [
        "AWS_BUCKETNAME=acme-files asks for the S3 backend, which needs boto3 "
        "(not installed): pip install 'odoo-cloud[s3]'",
        "ODOO_SESSION_REDIS=true asks for the Redis session store, which needs "
        "redis (not installed): pip install 'odoo-cloud[redis]'",
    ]


def test_console_script_exit_code():
    result = subprocess.run(
        [sys.executable, "-m", "odoo_cloud", "check"],
        env={"ODOO_SESSION_REDIS_PORT": "abc"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "ODOO_SESSION_REDIS_PORT='abc'" in result.stderr


# Values holding the secret "hunter2" in each form it takes, valid or refused.
SECRET_FORMS = {
    "ODOO_SESSION_REDIS_URL": [
        "redis://:hunter2@host:notaport",
        "redis://alice:hunter2@host/0",
        "redis://host/0?password=hunter2",
        "redis://:hun/hunter2@host:6379/0",  # an unencoded '/' in the password
    ],
    "ODOO_SESSION_REDIS_SENTINEL_HOST": ["alice:hunter2@sentinel", ":hunter2@h:1"],
    "AWS_HOST": ["https://AKIA:hunter2@s3.example:port", "https://hunter2@s3.example"],
    "AZURE_STORAGE_ACCOUNT_URL": [
        "https://acme.blob.core.windows.net/?sv=2022-11-02&sig=hunter2",
        "https://acme.blob.core.windows.net:x/?sv=2022-11-02&sig=hunter2",
    ],
    "AZURE_STORAGE_CONNECTION_STRING": [
        "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=hunter2;"
    ],
    "SWIFT_AUTH_URL": ["https://swift.example/auth?X-Amz-Signature=hunter2"],
}


@pytest.mark.parametrize(
    ("variable", "value"),
    [(name, value) for name, values in SECRET_FORMS.items() for value in values],
)
def test_check_never_prints_a_secret_valid_or_not(monkeypatch, capsys, variable, value):
    _, out, err = run_check(monkeypatch, capsys, "--all", **{variable: value})
    assert variable in out + err
    assert "hunter2" not in out + err


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ATTACHMENT_STORAGE_REDIRECT_TTL", "604801"),  # S3: a week at most
        ("ODOO_SESSION_REDIS_EXPIRATION", "9223372036854775807"),
        ("ODOO_SESSION_REDIS_EXPIRATION_ANONYMOUS", "0"),
        ("ODOO_SESSION_REDIS_SOCKET_TIMEOUT", "1e20"),
        ("ODOO_HEALTH_TIMEOUT", "1e308"),
        ("ODOO_HEALTH_TIMEOUT", "nan"),
        ("AWS_READ_TIMEOUT", "86401"),
        ("AWS_MAX_ATTEMPTS", "1000"),
        ("ATTACHMENT_STORAGE_GC_GRACE", "99999999999"),
        ("ATTACHMENT_STORAGE_BATCH_SIZE", "10000000"),
        ("ATTACHMENT_STORAGE_REDIRECT_MIN_SIZE", str(2**63)),
        ("ATTACHMENT_STORAGE_REDIRECT_LOCATION", "/files/\r\nX-Injected: 1"),
        ("SWIFT_WRITE_CONTAINER", ".."),
        ("AWS_BUCKETNAME", "."),
        ("ATTACHMENT_STORAGE_KEY_PREFIX", "x" * 10_000_000),
        ("STATSD_PREFIX", "x" * 5000),
    ],
)
def test_check_refuses_a_value_out_of_its_bounds(monkeypatch, capsys, variable, value):
    code, _, err = run_check(monkeypatch, capsys, **{variable: value})
    assert code == 2
    assert err.startswith(variable)
    assert len(err) < 400
