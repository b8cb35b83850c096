"""OpenStack Swift (OVH, Infomaniak, any OpenStack cloud), through
python-swiftclient, with tempauth or keystone logins.

A process logs in once: every thread shares the storage URL and token, and
each thread talks through a swiftclient ``Connection`` of its own, since a
Connection is not thread-safe and the migration uploads from several threads.
A token refused with 401 (expired, revoked) is renewed once by one thread,
the others reuse the new one, and the request is sent again.

Content larger than ``SWIFT_LARGE_OBJECT_SIZE`` is stored as a static large
object: segments in ``<container>_segments``, then a manifest under the key,
which Swift reads back (whole or by range) as one object.
"""

import concurrent.futures
import contextlib
import email.message
import email.utils
import functools
import hashlib
import hmac
import json
import threading
import urllib.parse

import keystoneauth1.exceptions
import keystoneauth1.identity
import keystoneauth1.session
import requests.exceptions
import swiftclient.client
import urllib3.exceptions
from swiftclient.exceptions import ClientException

from ...clock import REAL_TIME, use_real_clock
from ...errors import NoSignedURL, ObjectNotFound, StorageError, StorageUnavailable
from ...unreachable import cause
from ..base import (
    READ_SIZE,
    SIGNED_CACHE_CONTROL,
    Location,
    ObjectBody,
    ObjectInfo,
    ObjectStore,
)
from . import BACKEND

TEMPAUTH_VERSION = "1.0"
SEGMENTS_SUFFIX = "_segments"
SEGMENT_UPLOADS = 4  # segments of one large object uploaded at once
# Answers after which the same request may succeed later: timeouts and rate
# limits, besides every 5xx.
TRY_LATER = {408, 429, 498, 499}
OUTAGES = (
    requests.exceptions.RequestException,  # connection refused, timeouts
    urllib3.exceptions.HTTPError,  # a body cut or timed out while read
    keystoneauth1.exceptions.ConnectionError,  # keystone unreachable
)


@contextlib.contextmanager
def translated_errors(location, endpoint, login=False):
    """Turn swiftclient's and keystone's exceptions into the suite's, naming
    ``location`` and, when it does not answer, ``endpoint`` (the auth URL for
    a ``login``, else the storage URL). A failed ``login`` is never "not
    found": a wrong auth URL must not read as a missing object."""
    try:
        yield
    except OUTAGES as error:
        raise StorageUnavailable(
            f"Swift unreachable for {location} ({cause(error)}; endpoint {endpoint})"
        ) from error
    except (ClientException, keystoneauth1.exceptions.ClientException) as error:
        status = getattr(error, "http_status", None)
        if status is not None and (status >= 500 or status in TRY_LATER):
            raise StorageUnavailable(f"Swift failed on {location}: {error}") from error
        if login:
            raise StorageError(
                f"Swift login failed for {location} (check SWIFT_AUTH_URL, "
                f"SWIFT_ACCOUNT, SWIFT_PASSWORD, SWIFT_AUTH_VERSION): {error}"
            ) from error
        if status == 404:
            raise ObjectNotFound(f"{location} does not exist") from error
        raise StorageError(f"Swift refused {location}: {error}") from error


class SwiftClient:
    """A Swift account as one process uses it: one login shared by its
    threads, one swiftclient ``Connection`` per thread."""

    def __init__(self, login, timeout, auth_url):
        self._login = login  # (renew) -> (storage URL, token)
        self.timeout = timeout
        self.auth_url = auth_url
        self._lock = threading.Lock()
        self._credentials = None
        self._local = threading.local()

    def credentials(self):
        """The storage URL and token, from the first login of the process."""
        with self._lock:
            if self._credentials is None:
                self._credentials = self._login(renew=False)
            return self._credentials

    def renew(self, refused_token):
        """Credentials to replace ``refused_token``: the first thread to ask
        logs in again, the threads refused with the same token get its new one."""
        with self._lock:
            if self._credentials is None or self._credentials[1] == refused_token:
                self._credentials = None
                self._credentials = self._login(renew=True)
            return self._credentials

    def connection(self):
        """This thread's Connection. It never logs in nor retries by itself
        (no credentials, ``retries=0``): :meth:`call` does both."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = swiftclient.client.Connection(retries=0, timeout=self.timeout)
            self._local.connection = connection
        return connection

    def call(self, location, method, *args, **kwargs):
        """``Connection.<method>(*args, **kwargs)`` with the process's token,
        renewed and sent again once on 401; errors name ``location``."""
        connection = self.connection()
        with translated_errors(location, self.auth_url, login=True):
            url, token = self.credentials()
        _authorize(connection, url, token)
        with translated_errors(location, url):
            try:
                return getattr(connection, method)(*args, **kwargs)
            except ClientException as error:
                if error.http_status != 401:
                    raise
        with translated_errors(location, self.auth_url, login=True):
            url, token = self.renew(token)
        _authorize(connection, url, token)
        with translated_errors(location, url):
            return getattr(connection, method)(*args, **kwargs)


def _authorize(connection, url, token):
    """Have ``connection`` send ``token`` to ``url``; its HTTP connection is
    bound to the URL it was opened for, hence a new one for another URL."""
    if connection.url != url:
        connection.close()
    connection.url, connection.token = url, token


def client_from_config(config):
    """The :class:`SwiftClient` of the ``SWIFT_*`` settings of ``config``."""
    timeout = (config["SWIFT_CONNECT_TIMEOUT"], config["SWIFT_READ_TIMEOUT"])
    if config["SWIFT_AUTH_VERSION"] == TEMPAUTH_VERSION:
        login = tempauth_login(config, timeout)
    else:
        login = keystone_login(config)
    # Keystone tokens' expiry.
    use_real_clock("swiftclient", "keystoneauth1")
    return SwiftClient(login, timeout, config["SWIFT_AUTH_URL"])


def tempauth_login(config, timeout):
    password = config["SWIFT_PASSWORD"]

    def login(renew):
        return swiftclient.client.get_auth(
            config["SWIFT_AUTH_URL"],
            config["SWIFT_ACCOUNT"],
            None if password is None else password.reveal(),
            auth_version=TEMPAUTH_VERSION,
            timeout=timeout,
        )

    return login


def keystone_login(config):
    """A login through a keystoneauth session, which swiftclient asks for the
    token and the object-store endpoint of the region."""
    password = config["SWIFT_PASSWORD"]
    credentials = {
        "auth_url": config["SWIFT_AUTH_URL"],
        "username": config["SWIFT_ACCOUNT"],
        "password": None if password is None else password.reveal(),
    }
    if config["SWIFT_AUTH_VERSION"] == "2.0":
        plugin = keystoneauth1.identity.v2.Password(
            tenant_name=config["SWIFT_PROJECT_NAME"], **credentials
        )
    else:
        plugin = keystoneauth1.identity.v3.Password(
            project_name=config["SWIFT_PROJECT_NAME"],
            user_domain_name=config["SWIFT_USER_DOMAIN_NAME"],
            project_domain_name=config["SWIFT_PROJECT_DOMAIN_NAME"],
            **credentials,
        )
    # keystoneauth takes one timeout, for connecting and reading.
    session = keystoneauth1.session.Session(
        auth=plugin, timeout=config["SWIFT_READ_TIMEOUT"]
    )
    region = config["SWIFT_REGION_NAME"]

    def login(renew):
        if renew:
            session.invalidate()
        return swiftclient.client.get_auth(
            None, None, None, session=session, os_options={"region_name": region}
        )

    return login


def disposition_parts(content_disposition):
    """The type and the file name of a ``Content-Disposition`` value; the
    name of ``filename*`` (RFC 6266) over the ASCII one of ``filename``."""
    message = email.message.Message()
    message["Content-Disposition"] = content_disposition
    # Decoded, ``filename*`` is one more ``filename``: the last one wins.
    params = dict(message.get_params(header="content-disposition", unquote=True))
    filename = params.get("filename")
    if filename is not None:
        filename = email.utils.collapse_rfc2231_value(filename)
    return message.get_content_disposition(), filename


class SwiftStore(ObjectStore):
    """One Swift container; large objects keep their segments in
    ``<container>_segments``."""

    scheme = BACKEND.scheme

    def __init__(
        self, client, container, large_object_size, segment_size, temp_url_key=None
    ):
        super().__init__(container)
        self.client = client
        self.large_object_size = large_object_size
        self.segment_size = segment_size
        self.segments_container = f"{container}{SEGMENTS_SUFFIX}"
        self.temp_url_key = temp_url_key
        self._temp_url_key_lock = threading.Lock()
        self._temp_url_key_ready = False

    @classmethod
    def from_config(cls, config, client, container):
        key = config["SWIFT_TEMP_URL_KEY"]
        return cls(
            client,
            container,
            config["SWIFT_LARGE_OBJECT_SIZE"],
            config["SWIFT_SEGMENT_SIZE"],
            key and key.reveal(),
        )

    def _call(self, key, method, *args, **kwargs):
        return self.client.call(self.location(key), method, *args, **kwargs)

    def put(self, key, data, content_type=None):
        content_type = content_type or "application/octet-stream"
        # A TempURL's answer carries the object's stored Cache-Control only.
        headers = {"Cache-Control": SIGNED_CACHE_CONTROL}
        if len(data) <= self.large_object_size:
            self._upload(self.bucket, key, data, content_type, headers=headers)
            return
        manifest = self._upload_segments(key, data)
        self._upload(
            self.bucket,
            key,
            json.dumps(manifest),
            content_type,
            query_string="multipart-manifest=put",
            headers=headers,
        )

    def _upload_segments(self, key, data):
        """Upload ``data`` in segments, several at once; the SLO manifest
        listing them in order.

        Segment names derive from the key and the sizes only: the content is
        addressed by the key, so uploading it again rewrites the same segments.
        """
        size = len(data)

        def upload(index, start):
            chunk = data[start : start + self.segment_size]
            name = f"{key}/slo/{size}/{self.segment_size}/{index:08d}"
            etag = self._upload(self.segments_container, name, chunk)
            return {
                "path": f"/{self.segments_container}/{name}",
                "etag": etag,
                "size_bytes": len(chunk),
            }

        starts = range(0, size, self.segment_size)
        with concurrent.futures.ThreadPoolExecutor(
            min(SEGMENT_UPLOADS, len(starts)), thread_name_prefix="swift-segment"
        ) as pool:
            return list(pool.map(upload, range(len(starts)), starts))

    def _upload(self, container, name, data, content_type=None, **options):
        """PUT an object, creating its container on the first write (never on
        a read); the object's etag. Swift accepts the PUT of an existing
        container (202), so concurrent first writes all succeed."""
        location = Location(self.scheme, container, name)

        def put():
            return self.client.call(
                location, "put_object", container, name, data,
                content_type=content_type, **options,
            )  # fmt: skip

        try:
            return put()
        except ObjectNotFound:
            self.client.call(location, "put_container", container)
            return put()

    def get(self, key):
        _headers, body = self._call(key, "get_object", self.bucket, key)
        return body

    def open(self, key, start=0, end=None):
        headers = {}
        if start or end is not None:
            last = "" if end is None else end - 1
            headers["Range"] = f"bytes={start}-{last}"
        _headers, body = self._call(
            key, "get_object", self.bucket, key,
            resp_chunk_size=READ_SIZE, headers=headers,
        )  # fmt: skip
        storage_url, _token = self.client.credentials()
        return ObjectBody(
            body, functools.partial(translated_errors, self.location(key), storage_url)
        )

    def head(self, key):
        headers = self._call(key, "head_object", self.bucket, key)
        return ObjectInfo(
            key,
            int(headers["content-length"]),
            headers["etag"].strip('"'),
            email.utils.parsedate_to_datetime(headers["last-modified"]),
            headers.get("content-type", "application/octet-stream"),
        )

    def signed_url(self, key, lifetime, content_type, content_disposition):
        """A TempURL of ``key``, signed with ``SWIFT_TEMP_URL_KEY``.

        Swift answers a TempURL with the object's stored Content-Type, and
        writes Content-Disposition itself from ``inline`` and ``filename``
        (``attachment; filename="..."; filename*=UTF-8''...``: the same type
        and name as ``content_disposition``, spelled its own way). Hence
        :class:`NoSignedURL` for content stored under another type than
        ``content_type``, and for a large object: its segments are in another
        container, which a container's key does not open.
        """
        if not self.temp_url_key:
            raise NoSignedURL("SWIFT_TEMP_URL_KEY is not set")
        headers = self._call(key, "head_object", self.bucket, key)
        location = self.location(key)
        if headers.get("x-static-large-object", "").lower() == "true":
            raise NoSignedURL(f"{location} is a large object (segments)")
        if headers.get("content-type") != content_type:
            raise NoSignedURL(
                f"{location} is stored as {headers.get('content-type')}, "
                f"not {content_type}"
            )
        if headers.get("cache-control") != SIGNED_CACHE_CONTROL:
            raise NoSignedURL(f"{location} was stored without its Cache-Control")
        self._set_temp_url_key()
        storage_url, _token = self.client.credentials()
        storage = urllib.parse.urlsplit(storage_url)
        # Swift checks the signature of the decoded path.
        path = f"{urllib.parse.unquote(storage.path)}/{self.bucket}/{key}"
        expires = int(REAL_TIME.time()) + lifetime
        signature = hmac.new(
            self.temp_url_key.encode(),
            f"GET\n{expires}\n{path}".encode(),
            hashlib.sha256,
        ).hexdigest()
        query = {"temp_url_sig": signature, "temp_url_expires": expires}
        kind, filename = disposition_parts(content_disposition)
        if kind == "inline":
            query["inline"] = ""
        if filename:
            query["filename"] = filename
        return urllib.parse.urlunsplit(
            (
                storage.scheme,
                storage.netloc,
                urllib.parse.quote(path),
                urllib.parse.urlencode(query, quote_via=urllib.parse.quote),
                "",
            )
        )

    def _set_temp_url_key(self):
        """Make ``SWIFT_TEMP_URL_KEY`` the container's temp URL key, once per
        process: every instance then signs with the key Swift checks."""
        with self._temp_url_key_lock:
            if self._temp_url_key_ready:
                return
            headers = self._call("", "head_container", self.bucket)
            if headers.get("x-container-meta-temp-url-key") != self.temp_url_key:
                self._call(
                    "", "post_container", self.bucket,
                    {"X-Container-Meta-Temp-URL-Key": self.temp_url_key},
                )  # fmt: skip
            self._temp_url_key_ready = True

    def delete(self, key):
        """Remove ``key``, with its segments when it is a large object.

        A plain object must be deleted without ``multipart-manifest=delete``,
        which Swift refuses for anything but a manifest: hence the HEAD first.
        Swift reports a segment it failed to delete only in the response body,
        which swiftclient drops: such a segment stays behind, as with
        swiftclient's own ``swift delete``.
        """
        try:
            headers = self._call(key, "head_object", self.bucket, key)
            large = headers.get("x-static-large-object", "").lower() == "true"
            query = "multipart-manifest=delete" if large else None
            self._call(key, "delete_object", self.bucket, key, query_string=query)
        except ObjectNotFound:
            return

    def list(self, prefix=""):
        marker = ""
        while True:
            _headers, page = self._call(
                prefix, "get_container", self.bucket, prefix=prefix, marker=marker
            )
            if not page:
                return
            for entry in page:
                yield entry["name"]
            marker = page[-1]["name"]
