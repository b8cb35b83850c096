"""cloud_platform on a real odoo-bin: a database configured wrongly for its
running environment refuses to load, ODOO_CLOUD_PLATFORM_UNSAFE=1 lets it load
with warnings, and the install song (through anthem, then through marabunta
with examples/migration.yml) moves a filestore to a real object store (the
Swift fixture's S3 API), once.
"""

import json
import os
import re
import subprocess

import in_odoo
import pytest
import requests

from local_platform import in_odoo as platform_in_odoo
from local_platform.errors import ServerFailed
from local_platform.odoo_server import INSTALL_TIMEOUT, REPO, clean_environ
from local_platform.process import free_port
from odoo_cloud.storage import BACKENDS

SONG = "odoo.addons.cloud_platform.songs::install"
MODULES = ("cloud_platform", "attachment_s3")
LOAD = ("base", "web", "session_redis", "logging_json")
FILES = 500


def prod_env(redis_server, swift, project):
    """A production configuration that follows every rule."""
    return {
        "RUNNING_ENV": "prod",
        "ODOO_SESSION_REDIS": "1",
        "ODOO_SESSION_REDIS_HOST": redis_server.host,
        "ODOO_SESSION_REDIS_PORT": str(redis_server.port),
        "ODOO_SESSION_REDIS_PREFIX": f"{project}-odoo-prod",
        "ODOO_LOGGING_JSON": "1",
        **swift.s3_environ(AWS_BUCKETNAME=f"{project}-odoo-prod"),
    }


def series_project(odoo, name):
    """The project ``name`` of this run's series: the series share one Swift,
    where a bucket an earlier series filled would hold every file already."""
    return f"{name}{odoo.series.replace('.', '')}"


@pytest.fixture(scope="module")
def platform_database(odoo, odoo_database):
    """cloud_platform and attachment_s3, installed in a dev environment."""
    return odoo_database(MODULES, env={"RUNNING_ENV": "dev"})


def login_page(server, database=None):
    params = {"db": database} if database else None
    return requests.Session().get(f"{server.url}/web/login", params=params, timeout=120)


@pytest.fixture
def start_refusable(odoo_server, platform_database, odoo_template_db):
    """Factory: a server on the platform database that answers /web/health
    even when that database refuses to load: with two databases matching its
    filter, only a request that names one opens it."""
    databases = f"^({platform_database}|{odoo_template_db})$"
    return lambda env: odoo_server(
        platform_database, workers=0, env=env, args=[f"--db-filter={databases}"]
    )


def test_prod_without_redis_sessions_refuses_to_load(
    start_refusable, platform_database
):
    server = start_refusable({"RUNNING_ENV": "prod"})
    reply = login_page(server, platform_database)
    assert reply.status_code == 500
    log = server.log()
    assert "RUNNING_ENV=prod: 5 platform rules violated" in log
    assert "ODOO_SESSION_REDIS=false: expected 1 (sessions in Redis)" in log
    buckets = " or ".join(backend.bucket_variable for backend in BACKENDS.values())
    assert f"{buckets}=(unset)" in log
    # Refused again at the next request: nothing half-loaded is kept.
    assert login_page(server, platform_database).status_code == 500


def test_unsafe_loads_with_warnings(start_refusable, platform_database):
    server = start_refusable({"RUNNING_ENV": "prod", "ODOO_CLOUD_PLATFORM_UNSAFE": "1"})
    reply = login_page(server, platform_database)
    assert reply.status_code == 200 and "oe_login_form" in reply.text
    warning = next(line for line in server.log().splitlines() if "UNSAFE=1" in line)
    assert " WARNING " in warning
    assert "ODOO_SESSION_REDIS=false" in server.log()


def test_a_database_name_no_container_may_hold_refuses_to_load(
    start_refusable, platform_database
):
    # The names of the test databases hold "_", which Azure refuses.
    env = {
        "RUNNING_ENV": "dev",
        "AZURE_STORAGE_NAME": "acme-odoo-{db}",
        "AZURE_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true",
    }
    server = start_refusable(env)
    assert login_page(server, platform_database).status_code == 500
    assert (
        "AZURE_STORAGE_NAME=acme-odoo-{db}: expected a container name Azure accepts "
        f"once {{db}} is {platform_database} (acme-odoo-{platform_database})"
    ) in server.log()


def test_compliant_prod_loads_with_sessions_in_redis_and_json_logs(
    odoo, odoo_server, odoo_database, redis_server, swift
):
    env = prod_env(redis_server, swift, "compliant")
    database = odoo_database(MODULES, env=env)
    odoo.call(database, platform_in_odoo.install_storage, env=env)
    server = odoo_server(database, load=LOAD, env=env)
    session = server.login()
    assert login_page(server).status_code == 200
    sid = session.cookies["session_id"]
    assert redis_server.client().hexists(f"compliant-odoo-prod:session:{sid[:42]}", sid)
    records = [json.loads(line) for line in server.log().splitlines()
               if line.startswith("{")]  # fmt: skip
    messages = [record["message"] for record in records]
    assert f"cloud platform: {database} follows every rule of prod" in messages


def filestore_database(odoo, database, env=None):
    """``database`` holding FILES attachments in its filestore."""
    created = odoo.call(
        database, in_odoo.create_text_files, env=env,
        prefix="file", count=FILES, repeat=50,
    )  # fmt: skip
    assert created == "file"
    filestore = odoo.data_dir / "filestore" / database
    names = stored(odoo, database)
    assert len(names) == FILES
    assert all((filestore / name).is_file() for name in names)
    return database


def stored(odoo, database):
    """store_fname of the FILES attachments, in order."""
    rows = odoo.postgres.psql(
        "SELECT store_fname FROM ir_attachment WHERE name LIKE 'file%.txt' ORDER BY id",
        dbname=database,
    )
    return rows.splitlines()


def location_row(odoo, database):
    return odoo.postgres.psql(
        "SELECT value, write_date FROM ir_config_parameter "
        "WHERE key = 'ir_attachment.location'",
        dbname=database,
    )


def bucket_keys(swift, bucket):
    pages = swift.s3_client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return {item["Key"] for page in pages for item in page.get("Contents", [])}


def assert_moved(odoo, swift, database, bucket):
    names = stored(odoo, database)
    assert len(names) == FILES
    assert all(name.startswith(f"s3://{bucket}/") for name in names)
    keys = {name.split("/", 3)[3] for name in names}
    assert keys <= bucket_keys(swift, bucket)
    filestore = odoo.data_dir / "filestore" / database
    checksums = {key.rsplit("/", 1)[1] for key in keys}
    # filestore/<db>/<sha1[:2]>/<sha1>; checklist/ holds Odoo's empty GC marks.
    assert not [path for path in filestore.glob("??/*") if path.name in checksums]
    assert location_row(odoo, database).split("|")[0] == "s3"


# The FILES attachments, and the few of base that are neither images nor assets.
MOVED = re.compile(
    r"moving (\d+) attachments to s3://(\S+)/ .*"
    r"attachment migration finished: \1/\1 moved \(\1 written, 0 already there\), "
    r"0 missing, 0 failed",
    re.S,
)


def moved(output, bucket):
    """How many attachments the output says were moved to ``bucket``, all
    verified and written."""
    match = MOVED.search(output)
    assert match and match[2] == bucket, output
    return int(match[1])


def run(command, env, cwd=REPO):
    result = subprocess.run(
        command, env=clean_environ(env), cwd=cwd, capture_output=True, text=True,
        timeout=INSTALL_TIMEOUT, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_anthem_song_moves_the_filestore_once(odoo, odoo_database, redis_server, swift):
    project = series_project(odoo, "anthem")
    bucket = f"{project}-odoo-prod"
    env = prod_env(redis_server, swift, project)
    dev = {"RUNNING_ENV": "dev"}
    database = filestore_database(odoo, odoo_database(MODULES, env=dev), dev)
    song = odoo.command("-d", database, subcommand=SONG, program=odoo.tool("anthem"))

    first = run(song, env)
    assert moved(first, bucket) >= FILES
    assert_moved(odoo, swift, database, bucket)
    before = (stored(odoo, database), location_row(odoo, database))
    objects = bucket_keys(swift, bucket)

    second = run(song, env)
    assert "moving 0 attachments" in second
    assert (stored(odoo, database), location_row(odoo, database)) == before
    assert bucket_keys(swift, bucket) == objects

    # Rolled back to the filestore, which prod forbids: only while unsafe.
    unsafe = {**env, "ODOO_CLOUD_PLATFORM_UNSAFE": "1"}
    assert odoo.call(database, in_odoo.roll_back_to_filestore, env=unsafe) == "file"
    filestore = odoo.data_dir / "filestore" / database
    assert all((filestore / name).is_file() for name in stored(odoo, database))
    with pytest.raises(
        ServerFailed, match=r"ir_attachment\.location=file: expected s3"
    ):
        odoo.call(database, in_odoo.load_database, env=env)


def odoo_rc(odoo, database, path):
    """The Odoo configuration file marabunta's commands read (ODOO_RC)."""
    options = {**odoo.server_options(), "addons_path": odoo.addons_path}
    options = {name.replace("-", "_"): value for name, value in options.items()}
    lines = ["[options]", f"db_name = {database}"]
    lines += [f"{name} = {value}" for name, value in options.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def odoo_on_path(odoo, directory):
    """An ``odoo`` command, as the docker images have, for marabunta to run."""
    directory.mkdir()
    script = directory / "odoo"
    script.write_text(f'#!/bin/sh\nexec {odoo.python} {odoo.src}/odoo-bin "$@"\n')
    script.chmod(0o755)
    return directory


def test_marabunta_migration_installs_and_moves_the_filestore(
    odoo, odoo_database, redis_server, swift, tmp_path
):
    database = filestore_database(odoo, odoo_database())
    project = series_project(odoo, "marabunta")
    bucket = f"{project}-odoo-prod"
    env = {
        **prod_env(redis_server, swift, project),
        "ODOO_RC": str(odoo_rc(odoo, database, tmp_path / "odoo.cfg")),
        "PATH": os.pathsep.join(
            [
                str(odoo_on_path(odoo, tmp_path / "bin")),
                str(odoo.python.parent),
                os.environ["PATH"],
            ]
        ),
        "MARABUNTA_DB_HOST": odoo.postgres.host,
        "MARABUNTA_DB_PORT": str(odoo.postgres.port),
        "MARABUNTA_DB_USER": odoo.server_options()["db_user"],
        "MARABUNTA_DB_PASSWORD": odoo.server_options()["db_password"],
        "MARABUNTA_DATABASE": database,
        "MARABUNTA_WEB_HOST": "127.0.0.1",
        "MARABUNTA_WEB_PORT": str(free_port()),
    }
    migration = ["--migration-file", str(REPO / "examples" / "migration.yml")]

    first = run([str(odoo.tool("marabunta")), *migration], env)
    assert moved(first, bucket) >= FILES
    states = odoo.postgres.psql(
        "SELECT name, state FROM ir_module_module "
        f"WHERE name IN {MODULES} ORDER BY name",
        dbname=database,
    )
    assert states.splitlines() == [f"{name}|installed" for name in sorted(MODULES)]
    assert_moved(odoo, swift, database, bucket)
    before = (stored(odoo, database), location_row(odoo, database))

    again = run(
        [str(odoo.tool("marabunta")), *migration, "--force-version", "setup"], env
    )
    assert "moving 0 attachments" in again
    assert (stored(odoo, database), location_row(odoo, database)) == before
