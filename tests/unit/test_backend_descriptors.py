"""A backend is its descriptor: registered alone, a throwaway in-memory
backend gets its variables parsed and documented, the write-bucket rule with
``{db}``, every platform rule of its bucket and its lines in ``odoo-cloud
check``, with no other edit."""

import dataclasses
import io
import subprocess
import sys

import pytest

from odoo_cloud import config, platform
from odoo_cloud.cli import main
from odoo_cloud.storage import BACKENDS, ObjectInfo, ObjectNotFound, ObjectStore, Stores
from odoo_cloud.storage.descriptor import Backend
from odoo_cloud.variable import Secret, Variable, text


class MemoryStore(ObjectStore):
    scheme = "mem"

    def __init__(self, bucket, objects):
        super().__init__(bucket)
        self.objects = objects

    def put(self, key, data, content_type=None):
        self.objects[self.bucket, key] = data

    def get(self, key):
        try:
            return self.objects[self.bucket, key]
        except KeyError:
            raise ObjectNotFound(self.location(key)) from None

    def open(self, key, start=0, end=None):
        return io.BytesIO(self.get(key)[start:end])

    def head(self, key):
        return ObjectInfo(key, len(self.get(key)), "", None, "")

    def delete(self, key):
        self.objects.pop((self.bucket, key), None)

    def list(self, prefix=""):
        return [k for b, k in self.objects if b == self.bucket and k.startswith(prefix)]


MEMORY = Backend(
    scheme="mem",
    addon="attachment_mem",
    title="Memory",
    bucket_variable="MEM_BUCKET",
    bucket_noun="shelf",
    settings=(Variable("MEM_TOKEN", text, secret=True, help="Memory token."),),
    connect=lambda settings: {},  # the client: every shelf's objects
    store=lambda settings, objects, bucket: MemoryStore(bucket, objects),
    credentials=(("MEM_TOKEN",),),
)
COMPLIANT = {
    "ODOO_SESSION_REDIS": "1",
    "ODOO_SESSION_REDIS_HOST": "redis.example.com",
    "ODOO_SESSION_REDIS_PREFIX": "acme-odoo-integration",
    "ODOO_LOGGING_JSON": "1",
    "MEM_BUCKET": "acme-odoo-integration",
    "MEM_TOKEN": "t0ken",
}


@pytest.fixture(autouse=True)
def memory_backend(monkeypatch):
    monkeypatch.setitem(BACKENDS, MEMORY.scheme, MEMORY)


def violations(env, dbname=None, **changes):
    environ = {**COMPLIANT, "RUNNING_ENV": env, **changes}
    return platform.violations(config.load(environ), env, dbname)


def test_its_variables_are_parsed_and_documented():
    settings = config.load({"MEM_BUCKET": "{db}-files", "MEM_TOKEN": "t0ken"})
    assert settings["MEM_BUCKET"] == "{db}-files"
    assert settings["MEM_TOKEN"] == Secret("t0ken")
    assert settings["MEM_BUCKET_UNSTRUCTURED"] is False
    with pytest.raises(config.ConfigError) as error:
        config.load({"MEM_BUCKET_UNSTRUCTURED": "maybe"}, groups=("mem",))
    (problem,) = error.value.problems
    assert (problem.variable, problem.value) == ("MEM_BUCKET_UNSTRUCTURED", "'maybe'")
    assert [line for line in config.reference().splitlines() if "MEM_" in line] == [
        "| `MEM_TOKEN` | unset | yes | Memory token. |",
        "| `MEM_BUCKET` | unset |  | Shelf, `<project>-odoo-<env>`; `{db}` becomes "
        "the database name. |",
        "| `MEM_BUCKET_UNSTRUCTURED` | `false` |  | Do not check the shelf name "
        "against the running environment. |",
    ]


def test_new_attachments_go_to_its_bucket_with_db_expanded():
    stores = Stores(config.load({"MEM_BUCKET": "{db}-files", "MEM_TOKEN": "t"}))
    assert stores.write_bucket("mem", "acme") == "acme-files"
    written = stores.write_stores(["acme", "demo"])
    assert [store.bucket for store in written] == ["acme-files", "demo-files"]
    written[0].put("ab/cd", b"content")
    assert stores.get("mem", "acme-files").open("ab/cd", 1, 4).read() == b"ont"
    with pytest.raises(ObjectNotFound):
        stores.get("mem", "demo-files").get("ab/cd")


def test_its_bucket_follows_the_rules_of_the_running_environment():
    assert violations("integration") == []
    installed = config.load({"MEM_BUCKET": "x"})
    assert platform.attachment_location(installed, "integration", ["mem"]) == "mem"
    (named,) = violations("integration", MEM_BUCKET="shared-files")
    assert (named.variable, named.expected) == (
        "MEM_BUCKET",
        platform.named("integration"),
    )
    assert "MEM_BUCKET_UNSTRUCTURED=1" in named.fix
    unstructured = {"MEM_BUCKET": "shared-files", "MEM_BUCKET_UNSTRUCTURED": "1"}
    assert violations("integration", **unstructured) == []
    (credential,) = violations("integration", MEM_TOKEN="")
    assert (credential.variable, credential.expected) == (
        "MEM_TOKEN",
        "set: MEM_BUCKET names the Memory shelf of new attachments",
    )
    (unset,) = violations("integration", MEM_BUCKET="")
    assert "set MEM_BUCKET and install attachment_mem" in unset.fix


def test_its_credentials_may_be_alternative_sets_the_first_complete_wins(
    monkeypatch,
):
    settings = (
        *MEMORY.settings,
        Variable("MEM_USER", text, help="Memory user."),
        Variable("MEM_PASSWORD", text, secret=True, help="Memory password."),
    )
    alternatives = (("MEM_TOKEN",), ("MEM_USER", "MEM_PASSWORD"))
    backend = dataclasses.replace(MEMORY, settings=settings, credentials=alternatives)
    monkeypatch.setitem(BACKENDS, MEMORY.scheme, backend)
    both = {"MEM_TOKEN": "t0ken", "MEM_USER": "me", "MEM_PASSWORD": "pw"}
    assert backend.chosen_credentials(config.load(both)) == ("MEM_TOKEN",)
    password = {"MEM_TOKEN": "", "MEM_USER": "me", "MEM_PASSWORD": "pw"}
    assert backend.chosen_credentials(config.load(password)) == alternatives[1]
    assert violations("integration", **password) == []
    (incomplete,) = violations("integration", MEM_TOKEN="", MEM_USER="me")
    assert str(incomplete) == (
        "MEM_TOKEN or MEM_USER or MEM_PASSWORD=(only MEM_USER set): expected one "
        "complete set of credentials: MEM_BUCKET names the Memory shelf of new "
        "attachments\n"
        "  fix: set MEM_TOKEN; or MEM_USER and MEM_PASSWORD"
    )
    (unset,) = violations("integration", MEM_TOKEN="")
    assert unset.value == "(unset)"


@pytest.mark.parametrize("env", ["integration", "test"])
@pytest.mark.parametrize(
    ("bucket", "dbname"),
    [("acme-odoo-prod", None), ("{db}-files", "acme-odoo-prod")],
)
def test_a_production_bucket_is_refused_outside_prod(env, bucket, dbname):
    changes = {"MEM_BUCKET": bucket, "MEM_BUCKET_UNSTRUCTURED": "1"}
    found = violations(
        env, dbname, ODOO_SESSION_REDIS_PREFIX=f"acme-odoo-{env}", **changes
    )
    assert [(v.variable, v.expected) for v in found] == [
        ("MEM_BUCKET", f"not a production name (<project>-odoo-prod) in {env}")
    ]
    assert found[0].fix.startswith(f"use the shelf of {env}, <project>-odoo-{env}:")


def test_odoo_cloud_check_lists_it_and_checks_it(capsys, tmp_path):
    path = tmp_path / "integration.env"
    lines = [f"{name}={value}" for name, value in COMPLIANT.items()]
    path.write_text("\n".join(["RUNNING_ENV=integration", *lines]) + "\n")
    assert main(["check", "--env-file", str(path)]) == 0
    lines = [" ".join(line.split()) for line in capsys.readouterr().out.splitlines()]
    start = lines.index("[mem]")
    assert lines[start + 1 : start + 3] == [
        f"MEM_TOKEN {config.MASK} (env)",
        "MEM_BUCKET acme-odoo-integration (env)",
    ]
    path.write_text(path.read_text().replace("acme-odoo-integration\nMEM", "x\nMEM"))
    assert main(["check", "--env-file", str(path)]) == 1
    assert (
        "MEM_BUCKET=x: expected <project>-odoo-integration" in capsys.readouterr().err
    )


def test_reading_every_variable_loads_no_backend_library():
    script = (
        "import sys\n"
        "from odoo_cloud import config\n"
        "config.catalogue()\n"
        "libraries = {'boto3', 'swiftclient', 'keystoneauth1', 'redis', "
        "'azure.storage.blob', 'azure.identity'}\n"
        "print(sorted(libraries & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout == "[]\n", result.stderr
