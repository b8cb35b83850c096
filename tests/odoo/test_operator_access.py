"""Who may call what the suite adds, on a real odoo-bin over JSON-RPC.

``cloud.platform.install()`` runs only in a superuser environment (the
install song, marabunta, ``odoo-bin shell``); ``cloud.platform._check`` and
``object.storage.gc.mark._mark`` are private; ``ir.attachment.force_storage``
keeps Odoo's rule, administrators only. A refused call leaves everything as
it was: ``ir_attachment.location``, where each attachment lives, the GC
marks. The health probes answer everyone, but say why a component fails
only to who may read ``/metrics``.
"""

import json

import in_odoo
import pytest
import requests
from harness.object_stores import moto_environ

from local_platform import in_odoo as platform_in_odoo
from local_platform.odoo_server import servers_started
from local_platform.process import free_port

MODULES = ("cloud_platform", "attachment_s3")
BUCKET = "acme-odoo-dev"
FILES = 3
# Users in_odoo.create_users_and_files creates, and Odoo's own administrator:
# login -> password.
PASSWORDS = {"internal": "internal", "portal": "portal", "admin": "admin"}
ACCESS_ERROR = "odoo.exceptions.AccessError"
OPERATOR_ONLY = "cloud.platform.install() is run by the platform's operator"
ADMINS_ONLY = "Only administrators can execute this action."
PRIVATE = "Private methods (such as '{}') cannot be called remotely."
MARK = f"s3://{BUCKET}/ab/abcdef"
TOKEN = "probe-token-7d2e"
EVERYONE = tuple(PASSWORDS)
# (model, method, args, the AccessError message, logins refused)
REFUSED = [
    ("cloud.platform", "install", [], OPERATOR_ONLY, EVERYONE),
    ("cloud.platform", "_check", [], PRIVATE.format("cloud.platform._check"),
     EVERYONE),
    ("object.storage.gc.mark", "_mark", [[MARK]],
     PRIVATE.format("object.storage.gc.mark._mark"), EVERYONE),
    ("ir.attachment", "force_storage", [], ADMINS_ONLY, ("internal", "portal")),
]  # fmt: skip


def platform_env(moto_server):
    """A dev instance with a bucket: install() would set the location to s3
    and move the filestore there."""
    return {"RUNNING_ENV": "dev", **moto_environ(moto_server, AWS_BUCKETNAME=BUCKET)}


def platform_database(odoo, odoo_database, env):
    """cloud_platform and attachment_s3, the users, FILES attachments in the
    filestore and ``ir_attachment.location`` never set."""
    database = odoo_database(MODULES, env=env)
    created = odoo.call(database, in_odoo.create_users_and_files, env=env, files=FILES)
    assert created == "file"
    return database


def state(odoo, database):
    """What a refused call must leave as it was: the location parameter,
    where the attachments are (and that their files are there), the GC marks."""
    psql = odoo.postgres.psql
    location = psql(
        "SELECT value FROM ir_config_parameter WHERE key = 'ir_attachment.location'",
        dbname=database,
    )
    names = psql(
        "SELECT store_fname FROM ir_attachment "
        "WHERE name LIKE 'operator%.txt' ORDER BY id",
        dbname=database,
    ).splitlines()
    filestore = odoo.data_dir / "filestore" / database
    on_disk = [(filestore / name).is_file() for name in names]
    marks = psql("SELECT count(*) FROM object_storage_gc_mark", dbname=database)
    return {"location": location, "store_fname": names, "on_disk": on_disk,
            "gc_marks": int(marks)}  # fmt: skip


@pytest.fixture(scope="module")
def environ(moto_server):
    return platform_env(moto_server)


@pytest.fixture(scope="module")
def database(odoo, odoo_database, environ):
    return platform_database(odoo, odoo_database, environ)


@pytest.fixture(scope="module")
def server(odoo, database, environ, tmp_path_factory):
    """A threaded server on the database, stopped at the end of the module."""
    with servers_started(odoo, tmp_path_factory.mktemp("odoo")) as start:
        yield start(database, workers=0, env=environ)


def test_the_database_starts_in_the_filestore(odoo, database):
    before = state(odoo, database)
    assert before["location"] == ""
    assert len(before["store_fname"]) == FILES
    assert all(before["on_disk"])
    assert not any(name.startswith("s3://") for name in before["store_fname"])
    assert before["gc_marks"] == 0


@pytest.mark.parametrize(
    ("model", "method", "args", "message", "login"),
    [
        pytest.param(model, method, args, message, login, id=f"{method}-{login}")
        for model, method, args, message, logins in REFUSED
        for login in logins
    ],
)
def test_refused_over_jsonrpc_and_nothing_changes(
    odoo, database, server, model, method, args, message, login
):
    before = state(odoo, database)
    session = server.login(login, PASSWORDS[login])
    reply = server.call(session, model, method, *args)
    assert "result" not in reply, reply
    error = reply["error"]["data"]
    assert error["name"] == ACCESS_ERROR, error
    assert error["message"].startswith(message), error
    assert state(odoo, database) == before


def test_an_administrator_may_still_force_storage(odoo, database, server):
    """Odoo's rule: with the location unset, it has nothing to move."""
    before = state(odoo, database)
    reply = server.call(server.login(), "ir.attachment", "force_storage")
    # Odoo leaves a None result out of the reply.
    assert reply == {"jsonrpc": "2.0", "id": None}
    assert state(odoo, database) == before


def test_server_side_install_moves_the_filestore(odoo, odoo_database, moto_server):
    """odoo-bin shell runs as superuser; the anthem song and marabunta are
    tested in test_cloud_platform.py."""
    env = platform_env(moto_server)
    database = platform_database(odoo, odoo_database, env)
    assert odoo.call(database, platform_in_odoo.install_storage, env=env) == "s3"
    after = state(odoo, database)
    assert after["location"] == "s3"
    assert all(name.startswith(f"s3://{BUCKET}/") for name in after["store_fname"])
    assert not any(after["on_disk"])
    # Each moved object is marked for the GC, by the private _mark.
    assert after["gc_marks"] >= FILES


def test_probes_tell_why_only_to_who_may_read_metrics(odoo_server, odoo_template_db):
    dead_store = f"127.0.0.1:{free_port()}"
    env = {
        "ODOO_PROMETHEUS_TOKEN": TOKEN,
        "AWS_HOST": f"http://{dead_store}",
        "AWS_ACCESS_KEY_ID": "operator",
        "AWS_SECRET_ACCESS_KEY": "operator",
        "AWS_BUCKETNAME": BUCKET,
        "AWS_MAX_ATTEMPTS": "1",
    }
    load = ("base", "web", "monitoring_prometheus")
    server = odoo_server(odoo_template_db, load=load, env=env, workers=0)
    operator = {"Authorization": f"Bearer {TOKEN}"}

    def get(path, headers=None):
        reply = requests.get(f"{server.url}{path}", headers=headers, timeout=30)
        return reply.status_code, reply.text

    status, body = get("/health/ready")
    assert status == 503, body
    checks = json.loads(body)["checks"]
    assert checks["database"]["status"] == "ok"
    assert checks["object_store"]["status"] == "fail"
    assert [set(check) for check in checks.values()] == [{"status", "latency_ms"}] * 2
    assert dead_store not in body

    status, body = get("/health/ready", operator)
    assert status == 503, body
    assert dead_store in json.loads(body)["checks"]["object_store"]["error"]

    assert get("/health/live") == (200, '{"status": "ok", "checks": {}}')
    assert get("/metrics") == (401, "Unauthorized\n")
    assert get("/metrics", operator)[0] == 200
