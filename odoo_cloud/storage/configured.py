"""The object stores of this process's configuration.

Apart from the package: the configuration imports the storage variables
(:mod:`.variables`), so the package itself must not import the configuration.
"""

import functools

from ..config import load
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
