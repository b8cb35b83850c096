"""The Azure settings, and which credentials reach azure-storage-blob: the
first complete set wins (a real account is reached in
tests/integration/test_azure_store.py, on Azurite)."""

import pytest
from azure.identity import DefaultAzureCredential

from odoo_cloud.cli import main
from odoo_cloud.config import MASK, Secret, load
from odoo_cloud.storage import StorageError
from odoo_cloud.storage.azure.store import AzureStore, client_from_config

KEY = "a2V5"  # base64, as account keys are
CONNECTION_STRING = (
    "DefaultEndpointsProtocol=https;AccountName=fromstring;"
    f"AccountKey={KEY};EndpointSuffix=core.windows.net"
)


def client(**environ):
    return client_from_config(load(environ))


def test_secrets_are_secret_and_the_defaults_those_of_s3():
    settings = load(
        {"AZURE_STORAGE_CONNECTION_STRING": CONNECTION_STRING,
         "AZURE_STORAGE_ACCOUNT_KEY": KEY}
    )  # fmt: skip
    assert settings["AZURE_STORAGE_CONNECTION_STRING"] == Secret(CONNECTION_STRING)
    assert settings["AZURE_STORAGE_ACCOUNT_KEY"] == Secret(KEY)
    assert settings["AZURE_STORAGE_USE_AAD"] is False
    assert settings["AZURE_STORAGE_CONNECT_TIMEOUT"] == 5
    assert settings["AZURE_STORAGE_READ_TIMEOUT"] == 60
    assert settings["AZURE_STORAGE_MAX_ATTEMPTS"] == 3


def test_a_connection_string_wins_over_the_other_credentials():
    built = client(
        AZURE_STORAGE_CONNECTION_STRING=CONNECTION_STRING,
        AZURE_STORAGE_ACCOUNT_NAME="other",
        AZURE_STORAGE_ACCOUNT_KEY=KEY,
    )
    assert (built.account_name, built.url) == (
        "fromstring",
        "https://fromstring.blob.core.windows.net/",
    )


def test_an_account_name_and_key_reach_the_account_s_public_endpoint():
    built = client(AZURE_STORAGE_ACCOUNT_NAME="acme", AZURE_STORAGE_ACCOUNT_KEY=KEY)
    assert built.url == "https://acme.blob.core.windows.net/"
    assert (built.credential.account_name, built.credential.account_key) == (
        "acme",
        KEY,
    )


def test_an_account_url_and_key_name_the_account_from_the_url():
    built = client(
        AZURE_STORAGE_ACCOUNT_URL="https://acme.blob.core.windows.net",
        AZURE_STORAGE_ACCOUNT_KEY=KEY,
        AZURE_STORAGE_MAX_ATTEMPTS="2",
    )
    assert built.credential.account_name == "acme"
    assert built._config.retry_policy.total_retries == 1


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("AZURE_STORAGE_ACCOUNT_NAME", "acme"),
        ("AZURE_STORAGE_ACCOUNT_URL", "https://acme.blob.core.windows.net"),
    ],
)
def test_entra_id_logs_in_with_azure_identity_s_default_chain(variable, value):
    built = client(AZURE_STORAGE_USE_AAD="1", **{variable: value})
    assert built.url == "https://acme.blob.core.windows.net/"
    assert isinstance(built.credential, DefaultAzureCredential)


def test_a_key_wins_over_entra_id():
    built = client(
        AZURE_STORAGE_USE_AAD="1",
        AZURE_STORAGE_ACCOUNT_NAME="acme",
        AZURE_STORAGE_ACCOUNT_KEY=KEY,
    )
    assert built.credential.account_key == KEY


def test_without_a_complete_set_of_credentials_no_client_is_built():
    with pytest.raises(StorageError) as error:
        client(AZURE_STORAGE_ACCOUNT_NAME="acme")
    assert str(error.value) == (
        "Azure has no credentials: set AZURE_STORAGE_CONNECTION_STRING; or "
        "AZURE_STORAGE_ACCOUNT_NAME and AZURE_STORAGE_ACCOUNT_KEY; or "
        "AZURE_STORAGE_ACCOUNT_URL and AZURE_STORAGE_ACCOUNT_KEY; or "
        "AZURE_STORAGE_USE_AAD and AZURE_STORAGE_ACCOUNT_URL; or "
        "AZURE_STORAGE_USE_AAD and AZURE_STORAGE_ACCOUNT_NAME"
    )


def test_odoo_cloud_check_masks_the_secrets_and_lists_the_alternatives(
    tmp_path, capsys
):
    path = tmp_path / "integration.env"
    path.write_text(
        "RUNNING_ENV=integration\n"
        "ODOO_SESSION_REDIS=1\nODOO_SESSION_REDIS_HOST=redis\n"
        "ODOO_SESSION_REDIS_PREFIX=acme-odoo-integration\nODOO_LOGGING_JSON=1\n"
        "AZURE_STORAGE_NAME=acme-odoo-integration\n"
        f"AZURE_STORAGE_CONNECTION_STRING={CONNECTION_STRING}\n"
    )
    assert main(["check", "--env-file", str(path)]) == 0
    out = [" ".join(line.split()) for line in capsys.readouterr().out.splitlines()]
    start = out.index("[azure]")
    assert out[start + 1 : start + 3] == [
        f"AZURE_STORAGE_CONNECTION_STRING {MASK} (env)",
        "AZURE_STORAGE_NAME acme-odoo-integration (env)",
    ]
    path.write_text(path.read_text().replace("CONNECTION_STRING", "ACCOUNT_NAME"))
    assert main(["check", "--env-file", str(path)]) == 1
    err = capsys.readouterr().err
    assert (
        "AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCOUNT_NAME or "
        "AZURE_STORAGE_ACCOUNT_KEY or AZURE_STORAGE_ACCOUNT_URL or "
        "AZURE_STORAGE_USE_AAD=(only AZURE_STORAGE_ACCOUNT_NAME set): expected one "
        "complete set of credentials: AZURE_STORAGE_NAME names the Azure "
        "container of new attachments"
    ) in err


def test_signing_a_url_needs_the_account_key():
    logged_in = client(AZURE_STORAGE_USE_AAD="1", AZURE_STORAGE_ACCOUNT_NAME="acme")
    with pytest.raises(StorageError, match="signing needs the account key"):
        AzureStore(logged_in, "files").signed_url("ab/cd", 60, "text/plain", "inline")
