"""A feature that was asked for either starts or stops Odoo with one line:
never Odoo serving without it (sessions in files, text logs, no metrics,
attachments in the filestore)."""

import in_odoo
import pytest
import requests
from object_storage_backends import set_location

from local_platform.process import free_port

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


@pytest.fixture(scope="module")
def s3_database(odoo, odoo_database):
    return odoo_database(["attachment_s3"])


@pytest.mark.parametrize(
    ("location", "env", "line"),
    [
        (
            "s3",
            {"ATTACHMENT_STORAGE_KEY_PREFIX": "../other-bucket/"},
            "base_attachment_object_storage: ATTACHMENT_STORAGE_KEY_PREFIX="
            "'../other-bucket/' ",
        ),
        (
            "s3",
            {"AWS_SECRET_ACCESS_KEY": SECRET},
            "base_attachment_object_storage: S3 refused s3://fail-closed/.health: "
            "An error occurred (403)",
        ),
        (
            "swift",
            {},
            "base_attachment_object_storage: ir_attachment.location is 'swift' in "
            "{database}, but attachment_swift is not installed there: new files "
            "would go to the filestore",
        ),
    ],
    ids=["bad-prefix", "bad-secret", "backend-not-installed"],
)
def test_a_database_whose_store_cannot_be_set_up_stops_odoo_with_one_line(
    odoo, s3_database, swift, location, env, line
):
    set_location(odoo, s3_database, location)
    env = swift.s3_environ(AWS_BUCKETNAME="fail-closed", AWS_MAX_ATTEMPTS="1", **env)
    # A server, not --stop-after-init: it stops by itself.
    result = odoo.run(
        "-d", s3_database, f"--http-port={free_port()}", env=env, timeout=120
    )  # fmt: skip
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(line.format(database=s3_database)), result.stderr
    assert SECRET not in result.stdout + result.stderr


def test_a_database_loaded_by_a_request_refuses_to_load_with_the_line(
    odoo, odoo_server, s3_database, swift
):
    """Only Odoo's main thread can stop it: a prefork worker serves requests
    in a thread of its own, where the database fails to load instead."""
    set_location(odoo, s3_database, "file")
    bad_prefix = {"ATTACHMENT_STORAGE_KEY_PREFIX": "../other-bucket/"}
    env = swift.s3_environ(AWS_BUCKETNAME="fail-closed", **bad_prefix)
    server = odoo_server(s3_database, env=env)
    odoo.call(s3_database, in_odoo.load_again_everywhere)
    set_location(odoo, s3_database, "s3")
    reply = requests.get(f"{server.url}/web/login", timeout=60)
    assert reply.status_code == 500
    assert (
        "NotSetUp: base_attachment_object_storage: ATTACHMENT_STORAGE_KEY_PREFIX="
        "'../other-bucket/' " in server.log()
    )
