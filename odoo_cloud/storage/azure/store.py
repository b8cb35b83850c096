"""Azure Blob Storage (and Azurite, its emulator): one container per store,
through a ``BlobServiceClient`` shared by the process's threads."""

import contextlib
import functools
import hashlib
from datetime import timedelta, timezone

import requests
import requests.adapters
from azure.core.exceptions import (
    HttpResponseError,
    IncompleteReadError,
    ResourceExistsError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.core.pipeline.transport import RequestsTransport
from azure.storage.blob import (
    BlobSasPermissions,
    BlobServiceClient,
    ContentSettings,
    ExponentialRetry,
    generate_blob_sas,
)

from ...clock import REAL_DATETIME, use_real_clock
from ...errors import NoSignedURL, ObjectNotFound, StorageError, StorageUnavailable
from ...unreachable import cause
from ..base import READ_SIZE, SIGNED_CACHE_CONTROL, ObjectBody, ObjectInfo, ObjectStore
from . import ACCOUNT_KEY, ACCOUNT_NAME, ACCOUNT_URL, BACKEND, CONNECTION_STRING

OUTAGES = (
    ServiceRequestError,  # connection refused, connect timeout
    ServiceResponseError,  # read timeout, connection reset
    IncompleteReadError,  # a body cut while read
)
# Answers after which the same request may succeed later, besides every 5xx.
TRY_LATER = {408, 429}
# A ranged download reads no further than asked, but an open-ended one (a
# reader seeking, then reading a little) fetches its first chunk whole: small
# chunks keep that cheap.
FIRST_CHUNK = 4 * READ_SIZE
CHUNK = 16 * READ_SIZE


@contextlib.contextmanager
def translated_errors(store, key):
    """Turn azure-core's exceptions into the suite's, naming the object."""
    where = f"{store.location(key)}"
    try:
        yield
    except OUTAGES as error:
        raise _unreachable(store, where, error) from error
    except ResourceNotFoundError as error:
        raise ObjectNotFound(f"{where} does not exist") from error
    except HttpResponseError as error:
        # A download retries a cut body itself, then wraps the last failure.
        if isinstance(error.__cause__, OUTAGES):
            raise _unreachable(store, where, error.__cause__) from error
        status = error.status_code or 0
        if status >= 500 or status in TRY_LATER:
            raise StorageUnavailable(
                f"Azure failed on {where}: {cause(error)}"
            ) from error
        raise StorageError(f"Azure refused {where}: {cause(error)}") from error


def _unreachable(store, where, outage):
    return StorageUnavailable(
        f"Azure unreachable for {where} ({cause(outage)}; "
        f"endpoint {store.client.url.rstrip('/')})"
    )


def client_from_config(config):
    """A ``BlobServiceClient`` for the ``AZURE_STORAGE_*`` settings of
    ``config``, logged in with the first complete set of credentials: the
    connection string, else an account key, else Microsoft Entra ID."""
    chosen = BACKEND.chosen_credentials(config)
    if chosen is None:
        raise StorageError(
            f"Azure has no credentials: set {BACKEND.credential_choices}"
        )
    # The SDK's default waits 15 s before its first retry, longer than a
    # browser waits for an attachment.
    retry = ExponentialRetry(
        initial_backoff=1,
        increment_base=2,
        random_jitter_range=1,
        retry_total=config["AZURE_STORAGE_MAX_ATTEMPTS"] - 1,
    )
    # One connection per thread uploading at once, as with S3.
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(
        pool_maxsize=max(10, config["ATTACHMENT_STORAGE_CONCURRENCY"])
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    # A transport of our own takes the timeouts: the client's are then ignored.
    transport = RequestsTransport(
        session=session,
        session_owner=False,
        connection_timeout=config["AZURE_STORAGE_CONNECT_TIMEOUT"],
        read_timeout=config["AZURE_STORAGE_READ_TIMEOUT"],
        connection_data_block_size=READ_SIZE,
    )
    options = {
        "retry_policy": retry,
        "transport": transport,
        "max_single_get_size": FIRST_CHUNK,
        "max_chunk_get_size": CHUNK,
    }
    if CONNECTION_STRING in chosen:
        client = BlobServiceClient.from_connection_string(
            config[CONNECTION_STRING].reveal(), **options
        )
    else:
        client = BlobServiceClient(*account_and_credential(config, chosen), **options)
    # Requests' x-ms-date, retries, Entra ID tokens' expiry.
    use_real_clock("azure")
    return client


def account_and_credential(config, chosen):
    """The account URL and the credential of a login without a connection
    string."""
    name = config[ACCOUNT_NAME]
    account_url = config[ACCOUNT_URL] or f"https://{name}.blob.core.windows.net"
    if ACCOUNT_KEY in chosen:
        key = config[ACCOUNT_KEY].reveal()
        # Without a name, the SDK reads it from the URL.
        credential = {"account_name": name, "account_key": key} if name else key
    else:
        # azure-identity loads only for the logins that need it.
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()
    return account_url, credential


class AzureStore(ObjectStore):
    """One Azure container; the first write creates it."""

    scheme = BACKEND.scheme

    def __init__(self, client, container):
        super().__init__(container)
        self.client = client
        self.container = client.get_container_client(container)

    @classmethod
    def from_config(cls, config, client, container):
        return cls(client, container)

    def _blob(self, key):
        return self.container.get_blob_client(key)

    def put(self, key, data, content_type=None):
        self._upload(key, data, content_type, overwrite=True)

    def put_if_absent(self, key, data, content_type=None):
        """Upload ``data`` unless ``key`` exists, in one conditional request
        (``If-None-Match: *``): of two processes writing it at once, one uploads."""
        return self._upload(key, data, content_type, overwrite=False)

    def _upload(self, key, data, content_type, overwrite):
        """Upload ``data``, creating the container on the first write (never
        on a read); False when ``key`` exists and ``overwrite`` is not set.

        The MD5 of the content is stored with it (Azure computes it only for
        uploads in one request), and :meth:`head` gives it as the etag, as S3
        and Swift do.
        """
        settings = ContentSettings(
            content_type=content_type or "application/octet-stream",
            content_md5=bytearray(hashlib.md5(data, usedforsecurity=False).digest()),
        )

        def upload():
            with translated_errors(self, key):
                try:
                    self._blob(key).upload_blob(
                        data, overwrite=overwrite, content_settings=settings
                    )
                except ResourceExistsError:
                    if overwrite:
                        raise
                    return False
            return True

        try:
            return upload()
        except ObjectNotFound:
            self._create_container()
            return upload()

    def _create_container(self):
        # Another thread or process may have created it meanwhile.
        with translated_errors(self, ""), contextlib.suppress(ResourceExistsError):
            self.container.create_container()

    def get(self, key):
        with translated_errors(self, key):
            return self._blob(key).download_blob().readall()

    def open(self, key, start=0, end=None):
        length = None if end is None else end - start
        with translated_errors(self, key):
            download = self._blob(key).download_blob(start, length)
        return ObjectBody(download, functools.partial(translated_errors, self, key))

    def head(self, key):
        with translated_errors(self, key):
            properties = self._blob(key).get_blob_properties()
        md5 = properties.content_settings.content_md5
        return ObjectInfo(
            key,
            properties.size,
            md5.hex() if md5 else properties.etag.strip('"'),
            properties.last_modified,
            properties.content_settings.content_type or "application/octet-stream",
        )

    def delete(self, key):
        with contextlib.suppress(ObjectNotFound), translated_errors(self, key):
            self._blob(key).delete_blob()

    def list(self, prefix=""):
        with translated_errors(self, prefix):
            yield from self.container.list_blob_names(name_starts_with=prefix)

    def signed_url(self, key, lifetime, content_type, content_disposition):
        """A URL serving ``key`` without credentials for ``lifetime`` seconds,
        its answer carrying ``content_type`` and ``content_disposition``: a
        read-only service SAS, signed with the account key."""
        account_key = getattr(self.client.credential, "account_key", None)
        if account_key is None:
            raise NoSignedURL(
                f"Azure cannot sign a URL for {self.location(key)}: signing "
                "needs the account key (AZURE_STORAGE_ACCOUNT_KEY or a "
                "connection string holding it)"
            )
        blob = self._blob(key)
        expiry = REAL_DATETIME.datetime.now(timezone.utc) + timedelta(seconds=lifetime)
        token = generate_blob_sas(
            blob.account_name,
            self.bucket,
            key,
            account_key=account_key,
            permission=BlobSasPermissions(read=True),
            expiry=expiry,
            content_type=content_type,
            content_disposition=content_disposition,
            cache_control=SIGNED_CACHE_CONTROL,
        )
        return f"{blob.url}?{token}"
