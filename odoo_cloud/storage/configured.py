"""The object stores of this process's configuration, and the one a
database writes to.

Apart from the package: the configuration imports the storage variables
(:mod:`.variables`), so the package itself must not import the configuration.
"""

import functools

from ..config import load
from ..errors import StorageError
from . import Stores
from .backends import BACKENDS


def config_groups():
    """The variable groups the stores read: the shared one and each backend's."""
    return ("attachments", *BACKENDS)


@functools.cache
def configured_stores(running_env_option=None):
    """The :class:`~odoo_cloud.storage.Stores` of this process's
    configuration, built once; :class:`~odoo_cloud.errors.ConfigError` names
    any bad variable of the attachment groups."""
    return Stores(load(running_env_option=running_env_option, groups=config_groups()))


def database_write_store(location, dbname, installed, running_env_option=None):
    """The store new attachments of database ``dbname`` go to, built, when
    its ``ir_attachment.location`` is ``location`` and ``installed`` names the
    backends whose addon it has; None when ``location`` names no backend or
    DISABLE_ATTACHMENT_STORAGE is on.

    Raises (:class:`~odoo_cloud.errors.ConfigError`,
    :class:`~odoo_cloud.errors.StorageError`, or what the backend's library
    or client raises) when they cannot go there: Odoo would write them to the
    filestore instead.
    """
    if location not in BACKENDS:
        return None
    stores = configured_stores(running_env_option)
    if stores.config["DISABLE_ATTACHMENT_STORAGE"]:
        return None
    if location not in installed:
        raise StorageError(
            f"ir_attachment.location is {location!r} in {dbname}, but "
            f"{BACKENDS[location].addon} is not installed there: new files "
            "would go to the filestore"
        )
    return stores.write_store(location, dbname)
