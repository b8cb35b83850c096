"""Azure Blob Storage, through azure-storage-blob: the backend's descriptor.
The store is in :mod:`.store`."""

from ...extras import Extra
from ...variable import Variable, boolean, integer, seconds, text, url
from ..descriptor import Backend, NameRule

CONNECTION_STRING = "AZURE_STORAGE_CONNECTION_STRING"
ACCOUNT_NAME = "AZURE_STORAGE_ACCOUNT_NAME"
ACCOUNT_URL = "AZURE_STORAGE_ACCOUNT_URL"
ACCOUNT_KEY = "AZURE_STORAGE_ACCOUNT_KEY"
USE_AAD = "AZURE_STORAGE_USE_AAD"

# The store module imports azure-storage-blob, an extra of odoo-cloud: it is imported
# when the first store is built, not with this descriptor, which every
# configuration reads.


def _client(config):
    from .store import client_from_config

    return client_from_config(config)


def _store(config, client, bucket):
    from .store import AzureStore

    return AzureStore.from_config(config, client, bucket)


BACKEND = Backend(
    scheme="azure",
    addon="attachment_azure",
    title="Azure",
    bucket_variable="AZURE_STORAGE_NAME",
    bucket_noun="container",
    settings=(
        Variable(
            CONNECTION_STRING,
            text,
            secret=True,
            help="Connection string of the storage account; when set, the "
            "other credentials are not read.",
        ),
        Variable(
            ACCOUNT_NAME,
            text,
            help="Storage account; its endpoint is "
            "`https://<name>.blob.core.windows.net` unless "
            f"`{ACCOUNT_URL}` is set.",
        ),
        Variable(
            ACCOUNT_URL,
            url("https", "http"),
            help="Blob endpoint of the storage account.",
        ),
        Variable(
            ACCOUNT_KEY,
            text,
            secret=True,
            help="Access key of the storage account.",
        ),
        Variable(
            USE_AAD,
            boolean,
            default=False,
            help="Log in with Microsoft Entra ID (azure-identity's "
            "DefaultAzureCredential) instead of a key.",
        ),
        Variable(
            "AZURE_STORAGE_CONNECT_TIMEOUT",
            seconds,
            default=5,
            help="Connect timeout in seconds.",
        ),
        Variable(
            "AZURE_STORAGE_READ_TIMEOUT",
            seconds,
            default=60,
            help="Read timeout in seconds.",
        ),
        Variable(
            "AZURE_STORAGE_MAX_ATTEMPTS",
            integer(1, 20),
            default=3,
            help="Attempts per request, the first included.",
        ),
    ),
    connect=_client,
    store=_store,
    credentials=(
        (CONNECTION_STRING,),
        (ACCOUNT_NAME, ACCOUNT_KEY),
        (ACCOUNT_URL, ACCOUNT_KEY),
        (USE_AAD, ACCOUNT_URL),
        (USE_AAD, ACCOUNT_NAME),
    ),
    extra=Extra("azure", ("azure.storage.blob", "azure.identity")),
    bucket_names=NameRule(
        r"(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*",
        "3 to 63 lowercase letters, digits and hyphens, starting and ending "
        "with a letter or a digit, no two hyphens in a row",
    ),
)
