"""Attachments in object storage: the stores, the migration engine, the GC plan.

A store is one bucket of one backend (``s3``, ...). :class:`Stores` builds
them from the configuration, once per process.
"""

import os
import threading
from typing import NamedTuple

from . import s3
from .base import (
    READ_SIZE,
    Location,
    ObjectInfo,
    ObjectNotFound,
    ObjectStore,
    StorageError,
    StorageUnavailable,
    content_key,
)

__all__ = [
    "BACKENDS",
    "READ_SIZE",
    "Location",
    "ObjectInfo",
    "ObjectNotFound",
    "ObjectStore",
    "StorageError",
    "StorageUnavailable",
    "Stores",
    "content_key",
]


class Backend(NamedTuple):
    bucket_variable: str  # names the bucket new content is written to
    connect: object  # config -> client
    store: object  # (config, client, bucket) -> ObjectStore


BACKENDS = {
    "s3": Backend("AWS_BUCKETNAME", s3.client_from_config, s3.S3Store.from_config),
}


class Stores:
    """The object stores of one process, built on first use.

    A client built before a fork is dropped in the child: prefork workers must
    not share the connections of the process they were forked from.
    """

    def __init__(self, config):
        self.config = config
        self._lock = threading.Lock()
        self._pid = None
        self._clients = {}
        self._stores = {}

    def get(self, scheme, bucket):
        """The store of ``bucket`` in backend ``scheme``."""
        with self._lock:
            if self._pid != os.getpid():
                self._pid, self._clients, self._stores = os.getpid(), {}, {}
            store = self._stores.get((scheme, bucket))
            if store is None:
                backend = self._backend(scheme)
                client = self._clients.get(scheme)
                if client is None:
                    client = self._clients[scheme] = backend.connect(self.config)
                store = backend.store(self.config, client, bucket)
                self._stores[scheme, bucket] = store
            return store

    def at(self, location):
        """The store holding ``location`` (a :class:`Location`)."""
        return self.get(location.scheme, location.bucket)

    def write_bucket(self, scheme, dbname):
        """The bucket database ``dbname`` writes to, ``{db}`` expanded."""
        variable = self._backend(scheme).bucket_variable
        template = self.config[variable]
        if not template:
            raise StorageError(f"{variable} is not set: no bucket to write to")
        return template.replace("{db}", dbname)

    def key_prefix(self, dbname):
        return self.config["ATTACHMENT_STORAGE_KEY_PREFIX"].replace("{db}", dbname)

    @staticmethod
    def _backend(scheme):
        try:
            return BACKENDS[scheme]
        except KeyError:
            raise StorageError(f"no object store backend named {scheme!r}") from None
