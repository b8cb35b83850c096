"""The suite's configuration and object stores, once per Odoo process."""

from odoo.tools import config as odoo_config

from odoo_cloud.storage.configured import configured_stores


def stores():
    return configured_stores(odoo_config.get("running_env"))


def settings():
    return stores().config
