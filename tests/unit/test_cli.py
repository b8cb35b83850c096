import subprocess
import sys

from odoo_cloud.cli import main


def run_check(monkeypatch, capsys, **environ):
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    code = main(["check"])
    out, err = capsys.readouterr()
    return code, out, err


def test_check_prints_every_variable_with_its_source(monkeypatch, capsys):
    code, out, err = run_check(
        monkeypatch, capsys, ODOO_SESSION_REDIS="1", ODOO_SESSION_REDIS_PASSWORD="pw123"
    )
    assert code == 0 and err == ""
    lines = {
        line.split()[0]: line.split()[1:] for line in out.splitlines() if "  " in line
    }
    assert lines["ODOO_SESSION_REDIS"] == ["true", "(env)"]
    assert lines["ODOO_SESSION_REDIS_PORT"] == ["6379", "(default)"]
    assert lines["ODOO_SESSION_REDIS_PASSWORD"] == ["********", "(env)"]
    assert "pw123" not in out


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
