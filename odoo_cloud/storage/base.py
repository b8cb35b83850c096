"""What every object store offers the suite; its failures are the
:class:`~odoo_cloud.errors.StorageError` family.

Attachments record their full location (``s3://bucket/key``), so that a record
stays readable after the configuration changes; a store is one bucket (or
container) of one backend.
"""

import functools
import inspect
import io
from abc import ABC, abstractmethod
from datetime import datetime
from typing import NamedTuple

from ..errors import NoSignedURL, ObjectNotFound, OutsideBucket
from .keys import bucket_problem, key_problem

# Big enough that Python's per-read overhead is small next to the copy.
READ_SIZE = 256 * 1024
# The Cache-Control of a signed URL's answer: Odoo's for a private
# attachment, which no shared cache keeps.
SIGNED_CACHE_CONTROL = "no-cache, private"


class ObjectInfo(NamedTuple):
    key: str
    size: int
    etag: str
    last_modified: datetime
    content_type: str


class Location(NamedTuple):
    """Where an object lives: ``<scheme>://<bucket>/<key>``."""

    scheme: str
    bucket: str
    key: str

    def __str__(self):
        return f"{self.scheme}://{self.bucket}/{self.key}"

    @classmethod
    def parse(cls, value):
        """The location written in ``value``, or None for anything else
        (a filestore path such as ``ab/ab12...``)."""
        scheme, separator, rest = (value or "").partition("://")
        bucket, _, key = rest.partition("/")
        if not separator or not scheme.isalnum() or not bucket or not key:
            return None
        return cls(scheme, bucket, key)


def content_key(checksum, prefix=""):
    """The key of content with sha1 ``checksum``: identical content, one object.

    It scatters objects as Odoo's filestore does (``ab/ab12...``).
    """
    return f"{prefix}{checksum[:2]}/{checksum}"


def _guarded(method, prefix=False):
    """``method`` refusing, before any request, a key outside the bucket."""

    # The key is the first parameter after ``self``, given by position or name.
    parameter = list(inspect.signature(method).parameters.values())[1]

    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        key = args[0] if args else kwargs.get(parameter.name, parameter.default)
        problem = key_problem(key, prefix=prefix)
        if problem:
            raise OutsideBucket(f"{self.location(key)}: the key {problem}")
        return method(self, *args, **kwargs)

    return guarded


class ObjectStore(ABC):
    """One bucket of an object store.

    Every method taking a key, in every subclass, first refuses a key that
    could leave the bucket (:mod:`.keys`): a store cannot forget it.
    """

    scheme = None
    # Methods taking a key (or, for ``list``, a prefix) first.
    KEY_METHODS = (
        "put", "put_if_absent", "get", "open", "get_first", "head",
        "delete", "exists", "signed_url", "reader",
    )  # fmt: skip

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name, method in list(vars(cls).items()):
            if name in cls.KEY_METHODS:
                setattr(cls, name, _guarded(method))
            elif name == "list":
                setattr(cls, name, _guarded(method, prefix=True))

    def __init__(self, bucket):
        problem = bucket_problem(bucket)
        if problem:
            raise OutsideBucket(f"{self.scheme} bucket {bucket!r} {problem}")
        self.bucket = bucket

    def location(self, key):
        return Location(self.scheme, self.bucket, key)

    @abstractmethod
    def put(self, key, data, content_type=None):
        """Store ``data`` (bytes) under ``key``, replacing any object there."""

    def put_if_absent(self, key, data, content_type=None):
        """Store ``data`` unless ``key`` exists; True when it was uploaded.

        Keys are content-addressed, so an existing object already holds these
        bytes; skipping it saves the upload and suits write-once buckets.
        """
        if self.exists(key):
            return False
        self.put(key, data, content_type)
        return True

    @abstractmethod
    def get(self, key):
        """The whole content of ``key`` as bytes."""

    @abstractmethod
    def open(self, key, start=0, end=None):
        """A binary stream of ``key`` from byte ``start`` to ``end`` (excluded)."""

    def get_first(self, key, size):
        """The first ``size`` bytes of ``key`` (all of it when shorter): a
        ranged download, for a reader that needs only the beginning."""
        if size <= 0:
            return b""
        with self.open(key, 0, size) as body:
            return body.read()

    @abstractmethod
    def head(self, key):
        """The :class:`ObjectInfo` of ``key``."""

    @abstractmethod
    def delete(self, key):
        """Remove ``key``; removing a missing key is not an error."""

    def exists(self, key):
        try:
            self.head(key)
        except ObjectNotFound:
            return False
        return True

    @abstractmethod
    def list(self, prefix=""):
        """The keys starting with ``prefix``, fetched page by page."""

    def signed_url(self, key, lifetime, content_type, content_disposition):
        """A URL anyone may GET ``key`` at for ``lifetime`` seconds, answered
        with these ``Content-Type`` and ``Content-Disposition`` headers, and
        refused by the store afterwards; :class:`NoSignedURL` when the store
        cannot serve them."""
        raise NoSignedURL(f"{self.scheme} stores cannot sign URLs")

    def reader(self, key, size):
        """A seekable file object over ``key`` that downloads only what is read."""
        return io.BufferedReader(RangeReader(self, key, size), READ_SIZE)


class ObjectBody(io.RawIOBase):
    """A download read as it arrives, never whole: ``body`` is the library's
    stream (``read(size)``, ``read()`` to its end, and ``close()`` when it
    holds a connection), and each read happens in ``translated_errors()``,
    which turns the library's failures into the suite's (a body cut while
    read is :class:`StorageUnavailable`)."""

    def __init__(self, body, translated_errors):
        super().__init__()
        self._body = body
        self._translated_errors = translated_errors

    def readable(self):
        return True

    def read(self, size=-1):
        with self._translated_errors():
            if size is None or size < 0:
                return self._body.read()
            return self._body.read(size)

    def readinto(self, buffer):
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self):
        if not self.closed and hasattr(self._body, "close"):
            self._body.close()
        super().close()


class RangeReader(io.RawIOBase):
    """Reads an object as a file, opening a ranged download at each seek.

    Werkzeug serves an HTTP Range request by seeking its file: the object store
    then sends only the requested bytes, never the whole object.
    """

    def __init__(self, store, key, size):
        super().__init__()
        self.store, self.key, self.size = store, key, size
        self.position = 0
        self.stream = None

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self.position

    def seek(self, offset, whence=io.SEEK_SET):
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}
        position = base[whence] + offset
        if position != self.position:
            self._close_stream()
            self.position = position
        return self.position

    def readinto(self, buffer):
        if self.position >= self.size:
            return 0
        if self.stream is None:
            self.stream = self.store.open(self.key, self.position)
        data = self.stream.read(len(buffer))
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)

    def _close_stream(self):
        if self.stream is not None:
            self.stream.close()
            self.stream = None

    def close(self):
        self._close_stream()
        super().close()
