"""A feature that was asked for either starts or stops Odoo with one line:
never Odoo serving without it (sessions in files, text logs, no metrics)."""

import pytest
import requests

SECRET = "hunter2"


@pytest.mark.parametrize(
    ("load", "env", "line"),
    [
        (
            "session_redis",
            {"ODOO_SESSION_REDIS": "1", "ODOO_SESSION_REDIS_SOCKET_TIMEOUT": "1e20"},
            "session_redis: ODOO_SESSION_REDIS_SOCKET_TIMEOUT='1e20' must be a "
            "number of seconds > 0 and <= 86400",
        ),
        (
            "session_redis",
            {
                "ODOO_SESSION_REDIS": "1",
                "ODOO_SESSION_REDIS_URL": f"redis://:{SECRET}@127.0.0.1:notaport",
            },
            "session_redis: ODOO_SESSION_REDIS_URL='redis://:********@127.0.0.1:"
            "notaport' has an invalid port",
        ),
        (
            "logging_json",
            {"ODOO_LOGGING_JSON": "maybe"},
            "logging_json: ODOO_LOGGING_JSON='maybe' is not a boolean",
        ),
        (
            "monitoring_statsd",
            {"ODOO_STATSD": "1", "STATSD_PORT": "0"},
            "monitoring_statsd: STATSD_PORT='0' must be a TCP/UDP port number",
        ),
        (
            "monitoring_prometheus",
            {"ODOO_HEALTH_TIMEOUT": "1e308"},
            "monitoring_prometheus: ODOO_HEALTH_TIMEOUT='1e308' must be a number "
            "of seconds > 0 and <= 86400",
        ),
    ],
    ids=["redis-timeout", "redis-url-secret", "json-logs", "statsd", "health-timeout"],
)
def test_a_feature_that_cannot_start_stops_odoo_with_one_line(
    odoo, odoo_template_db, load, env, line
):
    result = odoo.run(
        "-d", odoo_template_db, f"--load=base,web,{load}", "--stop-after-init",
        env=env, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(line), result.stderr
    assert SECRET not in result.stdout + result.stderr


def test_readiness_fails_when_redis_is_not_loaded_or_storage_settings_are_bad(
    odoo_server, odoo_template_db
):
    server = odoo_server(
        odoo_template_db,
        load=("base", "web", "monitoring_prometheus"),
        env={
            "ODOO_SESSION_REDIS": "1",
            "AWS_BUCKETNAME": "fail-closed",
            "ATTACHMENT_STORAGE_KEY_PREFIX": "../other-bucket/",
        },
    )
    reply = requests.get(f"{server.url}/health/ready", timeout=30)
    assert reply.status_code == 503
    checks = reply.json()["checks"]
    assert checks["redis"]["status"] == "fail"
    store = checks["object_store"]
    assert store["status"] == "fail"
    assert "ATTACHMENT_STORAGE_KEY_PREFIX='../other-bucket/'" in store["error"]
