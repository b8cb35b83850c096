"""Functions the platform runs inside Odoo (:mod:`.odoo_call`): ``env`` is
the superuser environment of ``odoo-bin shell``."""


def install_storage(env):
    """cloud_platform's installation: in dev, attachments go to the object
    store that is configured, and the existing ones are moved there. The
    location it set."""
    location = env["cloud.platform"].install()
    env.cr.commit()
    return location


def default_server_wide_modules():
    """The server-wide modules of the tree's configuration (no database)."""
    from odoo.tools import config

    modules = config["server_wide_modules"]
    return modules.split(",") if isinstance(modules, str) else list(modules)
