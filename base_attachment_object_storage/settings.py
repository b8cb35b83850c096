"""The suite's configuration and object stores, once per Odoo process."""

import functools

from odoo.tools import config as odoo_config

from odoo_cloud import config
from odoo_cloud.storage import Stores


@functools.cache
def settings():
    return config.load(
        running_env_option=odoo_config.get("running_env"),
        groups=("attachments", "s3", "swift"),
    )


@functools.cache
def stores():
    return Stores(settings())
