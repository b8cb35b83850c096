"""What only the Azure store does, against Azurite: each form of credentials,
conditional creates, refusals and outages (the scenarios every store shares
are in test_object_stores.py)."""

import os
import signal
import time
import uuid

import pytest
import requests
from harness.object_stores import name_verdicts, new_store

from local_platform.azurite_server import run_azurite
from local_platform.managed_identity import ManagedIdentityEndpoint
from odoo_cloud.storage import NoSignedURL, StorageError, StorageUnavailable
from odoo_cloud.storage.azure.store import FIRST_CHUNK


def credential_forms(azurite):
    """The variables of each way to log in with a key."""
    return {
        "connection string": {
            "AZURE_STORAGE_CONNECTION_STRING": azurite.connection_string
        },
        "account URL, name and key": {
            "AZURE_STORAGE_ACCOUNT_URL": azurite.account_url,
            "AZURE_STORAGE_ACCOUNT_NAME": azurite.account_name,
            "AZURE_STORAGE_ACCOUNT_KEY": azurite.account_key,
        },
        "account URL and key": {
            "AZURE_STORAGE_ACCOUNT_URL": azurite.account_url,
            "AZURE_STORAGE_ACCOUNT_KEY": azurite.account_key,
        },
    }


@pytest.mark.parametrize(
    "form", ["connection string", "account URL, name and key", "account URL and key"]
)
def test_each_form_of_credentials_reaches_the_account(azurite, form):
    store = new_store(credential_forms(azurite)[form], "azure")
    store.put("ab/one", b"logged in")
    assert store.get("ab/one") == b"logged in"
    raw = azurite.client().get_container_client(store.bucket)
    assert raw.download_blob("ab/one").readall() == b"logged in"


def test_a_wrong_key_is_refused_not_unavailable(azurite):
    store = new_store(azurite.environ(AZURE_STORAGE_ACCOUNT_KEY="d3Jvbmc="), "azure")
    with pytest.raises(StorageError, match="Azure refused azure://") as raised:
        store.put("ab/one", b"never stored")
    assert not isinstance(raised.value, StorageUnavailable)


def test_put_if_absent_uploads_once_and_never_overwrites(azurite):
    store = new_store(azurite.environ(), "azure")
    assert store.put_if_absent("ab/one", b"first", "text/plain") is True
    assert store.put_if_absent("ab/one", b"second") is False
    assert store.get("ab/one") == b"first"
    assert store.head("ab/one").content_type == "text/plain"


def test_a_stopped_azurite_fails_with_storage_unavailable(azurite):
    store = new_store(azurite.environ(), "azure")
    store.put("gh/up", b"before the outage")
    azurite.stop()
    try:
        with pytest.raises(StorageUnavailable) as raised:
            store.get("gh/up")
        assert str(raised.value) == (
            f"Azure unreachable for azure://{store.bucket}/gh/up "
            f"(Connection refused; endpoint {azurite.account_url})"
        )
        with pytest.raises(StorageUnavailable):
            store.put("gh/new", b"during the outage")
        with pytest.raises(StorageUnavailable):
            list(store.list("gh/"))
    finally:
        azurite.start()
    assert store.get("gh/up") == b"before the outage"


def test_a_download_cut_by_an_outage_fails_with_storage_unavailable(azurite):
    store = new_store(azurite.environ(), "azure")
    data = os.urandom(3 * FIRST_CHUNK)
    store.put("ab/large", data)
    body = store.open("ab/large")
    assert body.read(FIRST_CHUNK) == data[:FIRST_CHUNK]  # the chunk fetched at open
    azurite.stop()
    try:
        with pytest.raises(StorageUnavailable, match="Azure unreachable for azure://"):
            body.read()
    finally:
        azurite.start()


def test_a_signed_url_serves_the_object_with_the_headers_until_it_expires(azurite):
    store = new_store(azurite.environ(), "azure")
    data = os.urandom(10_000)
    store.put("ab/report", data, "application/octet-stream")
    disposition = "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf"
    url = store.signed_url("ab/report", 60, "application/pdf", disposition)
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 200
    assert answer.content == data
    assert answer.headers["Content-Type"] == "application/pdf"
    assert answer.headers["Content-Disposition"] == disposition
    block = {"x-ms-blob-type": "BlockBlob"}
    overwrite = requests.put(url, data=b"overwritten", headers=block, timeout=10)
    assert overwrite.status_code == 403  # read only
    assert store.get("ab/report") == data

    short = store.signed_url("ab/report", 1, "application/pdf", disposition)
    time.sleep(2)
    assert requests.get(short, timeout=10).status_code == 403


def test_an_azurite_that_does_not_answer_times_out_as_unavailable(azurite):
    environ = azurite.environ(AZURE_STORAGE_READ_TIMEOUT="1")
    store = new_store(environ, "azure")
    store.put("ab/one", b"before the freeze")
    azurite.process.signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        with pytest.raises(StorageUnavailable, match=r"\(timed out[^;]*; endpoint"):
            store.get("ab/one")
        assert time.monotonic() - started < 5
    finally:
        azurite.process.signal(signal.SIGCONT)
    assert store.get("ab/one") == b"before the freeze"


def test_the_container_name_rule_is_azurites(azurite):
    unique = uuid.uuid4().hex[:8]
    names = [
        unique,
        f"0-{unique}",
        unique.ljust(63, "a"),
        unique.ljust(64, "a"),
        "ab",
        f"{unique}_corp",
        f"Acme-{unique}",
        f"acme--{unique}",
        f"-{unique}",
        f"{unique}-",
        f"acmé-{unique}",
    ]
    served, ruled = name_verdicts(azurite.environ(), "azure", names)
    assert served == ruled


@pytest.fixture(scope="module")
def azurite_with_entra_id(tmp_path_factory):
    """An Azurite on HTTPS that takes Entra ID tokens."""
    with run_azurite(tmp_path_factory.mktemp("azurite-oauth"), oauth=True) as server:
        yield server


def test_entra_id_logs_in_with_a_managed_identity_token(
    azurite_with_entra_id, monkeypatch
):
    azurite = azurite_with_entra_id
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(azurite.certificate))
    with ManagedIdentityEndpoint() as identity:
        for name, value in identity.environ().items():
            monkeypatch.setenv(name, value)
        environ = {
            "AZURE_STORAGE_USE_AAD": "1",
            "AZURE_STORAGE_ACCOUNT_URL": azurite.account_url,
            "AZURE_STORAGE_MAX_ATTEMPTS": "1",
        }
        store = new_store(environ, "azure")
        store.put("ab/one", b"signed in with a token")
        assert store.get("ab/one") == b"signed in with a token"
        assert list(store.list("ab/")) == ["ab/one"]
        assert identity.requests == 1  # one token serves every request

        # A SAS needs the account key: downloads stay Odoo's.
        with pytest.raises(NoSignedURL, match="needs the account key"):
            store.signed_url("ab/one", 60, "text/plain", "inline")

    raw = azurite.client().get_container_client(store.bucket)
    assert raw.download_blob("ab/one").readall() == b"signed in with a token"


def test_entra_id_without_a_token_is_refused_not_unavailable(
    azurite_with_entra_id, monkeypatch
):
    azurite = azurite_with_entra_id
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(azurite.certificate))
    with ManagedIdentityEndpoint() as identity:
        monkeypatch.setenv("IDENTITY_ENDPOINT", identity.url)
        monkeypatch.setenv("IDENTITY_HEADER", "not-the-secret")
        environ = {
            "AZURE_STORAGE_USE_AAD": "1",
            "AZURE_STORAGE_ACCOUNT_URL": azurite.account_url,
            "AZURE_STORAGE_MAX_ATTEMPTS": "1",
        }
        with pytest.raises(StorageError) as raised:
            new_store(environ, "azure").put("ab/one", b"never stored")
    assert not isinstance(raised.value, StorageUnavailable)
    assert "DefaultAzureCredential failed to retrieve a token" in str(raised.value)
