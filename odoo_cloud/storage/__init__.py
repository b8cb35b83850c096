"""Attachments in object storage: the stores, the migration engine, the GC plan.

A store is one bucket of one backend (:data:`.backends.BACKENDS`).
:class:`Stores` builds them from the configuration, once per process
(:func:`.configured.configured_stores`).
"""

import threading

from ..errors import (
    NoSignedURL,
    ObjectNotFound,
    OutsideBucket,
    StorageError,
    StorageUnavailable,
)
from ..metrics import measure_object_store
from ..process import PerProcess
from .backends import BACKENDS
from .base import READ_SIZE, Location, ObjectInfo, ObjectStore, content_key

__all__ = [
    "BACKENDS",
    "READ_SIZE",
    "Location",
    "NoSignedURL",
    "ObjectInfo",
    "ObjectNotFound",
    "ObjectStore",
    "OutsideBucket",
    "StorageError",
    "StorageUnavailable",
    "Stores",
    "content_key",
]


class Stores:
    """The object stores of a process, built on first use: one client per
    backend and process, one store per bucket."""

    def __init__(self, config):
        self.config = config
        self._lock = threading.Lock()
        self._clients = PerProcess(dict)
        self._stores = PerProcess(dict)

    def get(self, scheme, bucket):
        """The store of ``bucket`` in backend ``scheme``."""
        with self._lock:
            stores, clients = self._stores.get(), self._clients.get()
            store = stores.get((scheme, bucket))
            if store is None:
                backend = self._backend(scheme)
                with backend.first_use():
                    if scheme not in clients:
                        clients[scheme] = backend.connect(self.config)
                    built = backend.store(self.config, clients[scheme], bucket)
                store = stores[scheme, bucket] = measure_object_store(
                    built, expected=ObjectNotFound
                )
            return store

    def at(self, location):
        """The store holding ``location`` (a :class:`Location`)."""
        return self.get(location.scheme, location.bucket)

    def write_bucket(self, scheme, dbname):
        """The bucket database ``dbname`` writes to, ``{db}`` expanded."""
        backend = self._backend(scheme)
        variable = backend.bucket_variable
        template = self.config[variable]
        if not template:
            raise StorageError(f"{variable} is not set: no bucket to write to")
        name = template.replace("{db}", dbname)
        problem = backend.bucket_name_problem(name)
        if problem:
            raise StorageError(f"{name!r} ({variable}={template}) {problem}")
        return name

    def write_store(self, scheme, dbname):
        """The store database ``dbname`` writes to in backend ``scheme``."""
        return self.get(scheme, self.write_bucket(scheme, dbname))

    def write_schemes(self):
        """The backends whose write bucket is set; none with
        DISABLE_ATTACHMENT_STORAGE. Nothing is built."""
        if self.config["DISABLE_ATTACHMENT_STORAGE"]:
            return []
        return [
            scheme
            for scheme, backend in BACKENDS.items()
            if self.config[backend.bucket_variable]
        ]

    def write_stores(self, dbnames):
        """The buckets new attachments of ``dbnames`` go to, in every backend
        of :meth:`write_schemes`."""
        found = []
        for scheme in self.write_schemes():
            template = self.config[BACKENDS[scheme].bucket_variable]
            names = dbnames if "{db}" in template else [""]
            found += [self.write_store(scheme, name) for name in names]
        return found

    def key_prefix(self, dbname):
        return self.config["ATTACHMENT_STORAGE_KEY_PREFIX"].replace("{db}", dbname)

    @staticmethod
    def _backend(scheme):
        try:
            return BACKENDS[scheme]
        except KeyError:
            raise StorageError(f"no object store backend named {scheme!r}") from None
