"""Known secrets, in every form they take, fed through every path that
prints: ``odoo-cloud check`` (an ``--env-file`` with a malformed line
included), Odoo refusing to start, the container's entrypoint refusing to
start, Odoo's JSON logs and the access log of ``make run``'s HAProxy. None of
them comes out."""

import os
import stat
import subprocess
import sys

import requests

from local_platform.haproxy_server import HAProxy
from local_platform.odoo_server import REPO, clean_environ
from local_platform.process import running, wait_until

# Each secret is a distinct word, so that a failure names the form that leaked.
USER_INFO = "userinfo-7f3a"
SLASHED = ("slashed-1b2c", "slashtail-9d8e")  # a password with an unencoded '/'
NO_SCHEME = "noscheme-4e5f"
PASSWORD_PARAMETER = "passwordparam-2a3b"
SAS_SIGNATURE = "sassig-6c7d"
ACCOUNT_KEY = "accountkey-8e9f"
ENV_FILE_LINE = "envfileline-0a1b"
PGPASSWORD = "pgpassword-5c6d"
SECRETS = (
    USER_INFO, *SLASHED, NO_SCHEME, PASSWORD_PARAMETER, SAS_SIGNATURE,
    ACCOUNT_KEY, ENV_FILE_LINE, PGPASSWORD,
)  # fmt: skip

# Refused values (bad port, no host...) holding them: they are echoed.
SECRET_ENV = {
    "RUNNING_ENV": "dev",
    "ODOO_SESSION_REDIS": "1",
    "ODOO_SESSION_REDIS_URL": f"redis://:{SLASHED[0]}/{SLASHED[1]}@127.0.0.1:6379/0",
    "ODOO_SESSION_REDIS_SENTINEL_HOST": f"alice:{NO_SCHEME}@sentinel",
    "AWS_BUCKETNAME": "no-secret",
    "AWS_HOST": (
        f"https://AKIA:{USER_INFO}@127.0.0.1:notaport/?password={PASSWORD_PARAMETER}"
    ),
    "AZURE_STORAGE_NAME": "no-secret",
    "AZURE_STORAGE_ACCOUNT_URL": (
        f"https://acme.blob.core.windows.net:x/?sv=2022-11-02&sig={SAS_SIGNATURE}"
    ),
    "AZURE_STORAGE_CONNECTION_STRING": (
        f"DefaultEndpointsProtocol=https;AccountName=acme;AccountKey={ACCOUNT_KEY};"
    ),
}
# What a request may carry in its query string, one form per request.
SECRET_QUERIES = (
    f"url=redis://:{SLASHED[0]}/{SLASHED[1]}@redis:6379/0",
    f"sentinel=alice:{NO_SCHEME}@sentinel",
    f"store=https://AKIA:{USER_INFO}@s3.example/",
    f"password={PASSWORD_PARAMETER}",
    f"sv=2022-11-02&sig={SAS_SIGNATURE}",
    f"connection=AccountName=acme;AccountKey={ACCOUNT_KEY}",
)


def leaked(output):
    return [secret for secret in SECRETS if secret in output]


def run(command, env):
    result = subprocess.run(
        command, env=clean_environ(env), capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    return result.returncode, result.stdout + result.stderr


def test_no_secret_comes_out_of_any_path(odoo, odoo_template_db, odoo_server, tmp_path):
    outputs = {}

    check = [str(REPO / ".venv" / "bin" / "odoo-cloud"), "check", "--all"]
    status, outputs["check"] = run(check, SECRET_ENV)
    assert status == 2 and "ODOO_SESSION_REDIS_URL=" in outputs["check"]
    env_file = tmp_path / "platform.env"
    env_file.write_text(f"AWS_SECRET_ACCESS_KEY {ENV_FILE_LINE}\n")
    status, outputs["check --env-file"] = run([*check, "--env-file", str(env_file)], {})
    assert status == 2 and "line 1" in outputs["check --env-file"]

    odoo_rc = tmp_path / "odoo.conf"
    entrypoint = [sys.executable, str(REPO / "deploy" / "container" / "entrypoint.py")]
    status, outputs["entrypoint"] = run(
        entrypoint, {**SECRET_ENV, "ODOO_RC": str(odoo_rc), "PGPASSWORD": PGPASSWORD}
    )
    assert status == 1, outputs["entrypoint"]
    assert "refusing to start: odoo-cloud check failed" in outputs["entrypoint"]
    assert stat.S_IMODE(os.stat(odoo_rc).st_mode) == 0o600

    status, outputs["odoo startup"] = run(
        odoo.command(
            "-d", odoo_template_db, "--stop-after-init",
            "--load=base,web,logging_json,session_redis",
        ),
        {**SECRET_ENV, "ODOO_LOGGING_JSON": "1"},
    )  # fmt: skip
    assert status != 0, outputs["odoo startup"]
    assert "session_redis: ODOO_SESSION_REDIS_URL=" in outputs["odoo startup"]

    server = odoo_server(
        odoo_template_db,
        load=("base", "web", "logging_json", "monitoring_prometheus"),
        env={"ODOO_LOGGING_JSON": "1"},
    )
    proxy = HAProxy(tmp_path, [(server.port, server.gevent_port)])
    with running(proxy):
        wait_until(lambda: proxy.server_states() == {"odoo-1": "UP"}, 60, "UP")
        for query in SECRET_QUERIES:
            reply = requests.get(f"{proxy.url}/web/login?{query}", timeout=60)
            assert reply.status_code == 200
        wait_until(
            lambda: len(proxy.access_log()) >= len(SECRET_QUERIES), 10, "access lines"
        )
        outputs["haproxy"] = "".join(proxy.access_log())
    outputs["json logs"] = server.log()
    assert outputs["json logs"].count('"/web/login"') >= len(SECRET_QUERIES)

    assert {path: leaked(output) for path, output in outputs.items()} == {
        path: [] for path in outputs
    }
