"""The suite's configuration and object stores, once per Odoo process."""

from odoo_cloud.storage.configured import configured_stores
from odoo_cloud_adapter import options


def stores():
    return configured_stores(options.running_env())


def settings():
    return stores().config
