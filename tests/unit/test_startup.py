"""A feature that cannot be set up stops the process with one line where it
can (its main thread), and is an ordinary error with the same line in any
other thread: a request's or a cron's. Object storage is such a feature for
a database whose location names a backend: which locations set a store up,
and which cannot."""

import threading

import pytest

from odoo_cloud.config import catalogue
from odoo_cloud.errors import StorageError
from odoo_cloud.startup import NotSetUp, refusing_to_start
from odoo_cloud.storage.configured import configured_stores, database_write_store

SECRET = "hunter2"
MASKED_LINE = "ValueError: redis://:********@host:notaport has an invalid port"


def fail(feature):
    with refusing_to_start(feature):
        raise ValueError(f"redis://:{SECRET}@host:notaport has an invalid port")


def test_the_main_thread_stops_with_one_line_secrets_masked():
    with pytest.raises(SystemExit) as stopped:
        fail("session_redis")
    assert str(stopped.value) == f"session_redis: {MASKED_LINE}"


def test_another_thread_gets_the_same_line_as_an_error():
    raised = []

    def serve():
        try:
            fail("base_attachment_object_storage")
        except NotSetUp as error:
            raised.append(str(error))

    thread = threading.Thread(target=serve)
    thread.start()
    thread.join()
    assert raised == [f"base_attachment_object_storage: {MASKED_LINE}"]


@pytest.fixture
def environ(monkeypatch):
    """Sets the suite's variables of the process environment, which
    configured_stores() reads, built anew: none is set but those given."""
    for variable in catalogue():
        for name in variable.names:
            monkeypatch.delenv(name, raising=False)
    configured_stores.cache_clear()

    def set_variables(**values):
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    yield set_variables
    configured_stores.cache_clear()


S3 = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
}


def test_a_location_naming_no_backend_sets_nothing_up(environ):
    environ(ATTACHMENT_STORAGE_KEY_PREFIX="../not-read/")
    assert database_write_store("file", "acme", ["s3"]) is None


def test_the_store_is_the_bucket_the_database_makes(environ):
    environ(AWS_BUCKETNAME="acme-odoo-{db}", **S3)
    store = database_write_store("s3", "shop", ["s3"])
    assert (store.scheme, store.bucket) == ("s3", "acme-odoo-shop")


def test_a_bucket_the_store_would_refuse_is_refused(environ):
    environ(AZURE_STORAGE_NAME="acme-odoo-{db}")
    with pytest.raises(StorageError, match=r"^'acme-odoo-Shop' .* not a valid Azure"):
        database_write_store("azure", "Shop", ["azure"])


def test_a_backend_whose_addon_is_not_installed_is_refused(environ):
    environ(AWS_BUCKETNAME="acme-files")
    with pytest.raises(StorageError, match="attachment_s3 is not installed there"):
        database_write_store("s3", "acme", ["swift"])


def test_disabled_attachment_storage_sets_nothing_up(environ):
    environ(DISABLE_ATTACHMENT_STORAGE="1")
    assert database_write_store("s3", "acme", []) is None
