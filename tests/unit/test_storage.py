import hashlib
import os

import pytest
from botocore.exceptions import ParamValidationError
from botocore.handlers import validate_bucket_name
from moto import mock_aws

from odoo_cloud.config import ConfigError, load, parse
from odoo_cloud.storage import (
    BACKENDS,
    Location,
    ObjectNotFound,
    StorageError,
    Stores,
    content_key,
)
from odoo_cloud.storage.keys import key_problem
from odoo_cloud.storage.migration import (
    ChecksumMismatch,
    Item,
    Migration,
    fetch_verified,
    upload_to,
)
from odoo_cloud.storage.ownership import Root, group_by_root

ENVIRON = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_BUCKETNAME": "acme-odoo-{db}",
}


@pytest.fixture
def stores():
    with mock_aws():
        yield Stores(load(ENVIRON))


def sha1(data):
    return hashlib.sha1(data).hexdigest()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("s3://bucket/ab/abcdef", Location("s3", "bucket", "ab/abcdef")),
        ("swift://c/p/ab/x", Location("swift", "c", "p/ab/x")),
        ("ab/abcdef", None),
        ("s3://bucket", None),
        ("s3:///key", None),
        ("", None),
        (None, None),
    ],
)
def test_location_parse(value, expected):
    assert Location.parse(value) == expected
    if expected:
        assert str(expected) == value


def test_content_key_scatters_like_the_filestore():
    assert content_key("abcdef") == "ab/abcdef"
    assert content_key("abcdef", "prod/") == "prod/ab/abcdef"


def test_write_bucket_and_prefix_expand_db(stores):
    assert stores.write_bucket("s3", "shop") == "acme-odoo-shop"
    assert (
        Stores(load({"ATTACHMENT_STORAGE_KEY_PREFIX": "{db}/"})).key_prefix("shop")
        == "shop/"
    )
    with pytest.raises(StorageError, match="AWS_BUCKETNAME is not set"):
        Stores(load({})).write_bucket("s3", "shop")
    with pytest.raises(StorageError, match="no object store backend named 'ftp'"):
        stores.get("ftp", "b")


@pytest.mark.parametrize(
    ("variable", "name"),
    [
        ("AWS_BUCKETNAME", "acme odoo"),
        ("SWIFT_WRITE_CONTAINER", "acme/odoo"),
        ("AZURE_STORAGE_NAME", "acme_corp-odoo-{db}"),
    ],
)
def test_a_bucket_name_the_store_refuses_is_a_configuration_error(variable, name):
    _, problems = parse({variable: name})
    assert [(problem.variable, problem.value) for problem in problems] == [
        (variable, repr(name))
    ]
    assert problems[0].reason.startswith("is not a valid ")


def test_a_database_name_that_makes_the_bucket_name_invalid_refuses_the_write():
    stores = Stores(load({"AZURE_STORAGE_NAME": "acme-odoo-{db}"}))
    assert stores.write_bucket("azure", "shop") == "acme-odoo-shop"
    with pytest.raises(StorageError) as refused:
        stores.write_bucket("azure", "Shop_2026")
    assert str(refused.value) == (
        "'acme-odoo-Shop_2026' (AZURE_STORAGE_NAME=acme-odoo-{db}) is not a valid "
        "Azure container name: 3 to 63 lowercase letters, digits and hyphens, "
        "starting and ending with a letter or a digit, no two hyphens in a row"
    )


@pytest.mark.parametrize(
    "name",
    ["acme-odoo-prod", "Legacy_Bucket.2012", "a" * 255, "a" * 256, "acme odoo", "acmé"],
)
def test_the_s3_bucket_name_rule_is_boto3s(name):
    try:
        validate_bucket_name({"Bucket": name})
    except ParamValidationError:
        boto3_sends = False
    else:
        boto3_sends = True
    assert (BACKENDS["s3"].bucket_name_problem(name) is None) is boto3_sends


def test_write_stores_are_the_buckets_of_every_configured_backend():
    environ = {
        **ENVIRON,
        "SWIFT_AUTH_URL": "http://127.0.0.1:9/auth/v1.0",
        "SWIFT_WRITE_CONTAINER": "acme-odoo-files",
    }
    with mock_aws():
        found = Stores(load(environ)).write_stores(["shop", "blog"])
        assert [str(store.location("")) for store in found] == [
            "s3://acme-odoo-shop/",
            "s3://acme-odoo-blog/",
            "swift://acme-odoo-files/",
        ]
    disabled = {**environ, "DISABLE_ATTACHMENT_STORAGE": "1"}
    assert Stores(load(disabled)).write_stores(["shop"]) == []
    assert Stores(load({})).write_stores(["shop"]) == []


def test_one_store_per_bucket_and_one_client_per_process(stores):
    first = stores.get("s3", "a")
    assert stores.get("s3", "a") is first
    assert stores.get("s3", "b").client is first.client
    assert stores.at(Location("s3", "a", "k")) is first


def test_a_forked_child_builds_its_own_client(stores):
    parent_client = stores.get("s3", "a").client
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child reports whether it got a client of its own
        os.write(
            write, b"1" if stores.get("s3", "a").client is not parent_client else b"0"
        )
        os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1"


def test_store_methods_in_process(stores):
    store = stores.get("s3", "unit")
    store.put("ab/k", b"hello", "text/plain")
    assert store.get("ab/k") == b"hello"
    assert store.head("ab/k").content_type == "text/plain"
    with store.open("ab/k", 1, 3) as body:
        assert body.read() == b"el"
    assert list(store.list("ab/")) == ["ab/k"]
    store.delete("ab/k")
    with pytest.raises(ObjectNotFound):
        store.get("ab/k")


def test_keys_group_by_the_namespace_that_wrote_them():
    namespace = "0b5c6a1e-2f49-11f1-82f2-02fc00000001"
    checksum = "a" * 40
    grouped = group_by_root(
        [
            f"s3://int/{namespace}/aa/{checksum}",
            f"s3://int/prod/{namespace}/aa/{checksum}",
            f"swift://int/{namespace}/aa/{checksum}",
            f"s3://int/aa/{checksum}",  # written before namespaces
            f"s3://int/{namespace}/holds/{namespace}",
            f"aa/{checksum}",  # the filestore
        ]
    )
    assert grouped == {
        Root("s3", "int", f"{namespace}/"): {f"{namespace}/aa/{checksum}"},
        Root("s3", "int", f"prod/{namespace}/"): {f"prod/{namespace}/aa/{checksum}"},
        Root("swift", "int", f"{namespace}/"): {f"{namespace}/aa/{checksum}"},
    }
    assert {root.namespace for root in grouped} == {namespace}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("image/:51200,text/css", (("image/", 51200), ("text/css", None))),
        (" application/pdf : 10 ,", (("application/pdf", 10),)),
        ("", ()),
    ],
)
def test_force_db_rules(raw, expected):
    rules = load({"ATTACHMENT_STORAGE_FORCE_DB": raw or ","})[
        "ATTACHMENT_STORAGE_FORCE_DB"
    ]
    assert rules == expected


def test_force_db_rules_refuse_a_bad_size():
    with pytest.raises(ConfigError, match="the size after ':' must be bytes"):
        load({"ATTACHMENT_STORAGE_FORCE_DB": "image/:big"})


def items(contents):
    return [
        Item(ident, sha1(data), (lambda data=data: data), "text/plain")
        for ident, data in enumerate(contents, 1)
    ]


def test_migration_uploads_verifies_and_commits_batch_by_batch(stores):
    store = stores.get("s3", "mig")
    contents = [f"file {n}".encode() for n in range(10)]
    batch_items = items(contents)
    committed = []
    migration = Migration(upload_to(store, "p/"), committed.append, concurrency=4)
    report = migration.run([batch_items[:6], batch_items[6:]], total=10)

    assert [len(batch) for batch in committed] == [6, 4]
    (item, (location, written)) = committed[0][0]
    assert location == f"s3://mig/p/{item.checksum[:2]}/{item.checksum}"
    assert written is True
    assert (report.moved, report.written, report.missing, report.errors) == (
        10,
        10,
        [],
        [],
    )
    for data in contents:
        assert store.get(content_key(sha1(data), "p/")) == data

    again = Migration(upload_to(store, "p/"), lambda done: None).run([batch_items], 10)
    assert (again.moved, again.written) == (10, 0)


def test_migration_reports_missing_and_corrupt_sources_and_uploads_neither(stores):
    store = stores.get("s3", "mig")

    def gone():
        raise FileNotFoundError("ab/abcd")

    good, lost = Item(1, sha1(b"ok"), lambda: b"ok"), Item(2, sha1(b"x"), gone)
    truncated = Item(3, sha1(b"full content"), lambda: b"")
    committed = []
    report = Migration(upload_to(store), committed.append).run(
        [[good, lost, truncated]], 3
    )

    assert [item.ident for item, _ in committed[0]] == [1]
    assert report.missing == [2]
    assert report.errors[0][0] == 3 and "sha1" in report.errors[0][1]
    assert list(store.list()) == [content_key(sha1(b"ok"))]
    assert "1/3 moved" in str(report)


def test_fetch_verified_refuses_wrong_content():
    assert fetch_verified(Item(1, sha1(b"a"), lambda: b"a")) == (b"a", True)
    with pytest.raises(ChecksumMismatch):
        fetch_verified(Item(1, sha1(b"a"), lambda: b"b"))


@pytest.mark.parametrize(
    "prefix",
    ["../acme-odoo-prod/", "a/../../b/", "/abs/", "a//b/", "./", "..", "a/./b",
     "%2e%2e/", "..\\b\\", "\uff0e\uff0e/", "a b/", "x" * 513],
)  # fmt: skip
def test_a_key_prefix_that_could_leave_the_bucket_is_refused(prefix):
    _, problems = parse({"ATTACHMENT_STORAGE_KEY_PREFIX": prefix})
    assert [problem.variable for problem in problems] == [
        "ATTACHMENT_STORAGE_KEY_PREFIX"
    ]


@pytest.mark.parametrize("prefix", ["", "odoo/", "{db}/", "acme.odoo-{db}_", "a/b/"])
def test_a_key_prefix_keeps_the_keys_the_suite_writes(prefix):
    _, problems = parse({"ATTACHMENT_STORAGE_KEY_PREFIX": prefix})
    assert problems == []
    uuid, sha1 = "0f8fad5b-d9cb-469f-a165-70867728950e", "ab" * 20
    for key in (f"{uuid}/{sha1[:2]}/{sha1}", f"{uuid}/holds/{uuid}"):
        full = prefix.replace("{db}", "acme-prod") + key
        assert key_problem(full) is None
