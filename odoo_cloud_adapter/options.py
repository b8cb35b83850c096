"""The options of Odoo's configuration (``odoo.tools.config``) the suite
reads, read the same on every series:

- ``running_env``, from Odoo's configuration file: the running environment
  when ``RUNNING_ENV`` is not set (:mod:`odoo_cloud.config`);
- ``--database`` names one database or several: Odoo 18.0 keeps the option
  as the comma-separated text it was given, 19.0 parses it into a list;
- ``--http-interface`` left empty means every interface, 18.0's default;
  19.0 defaults to ``0.0.0.0``.
"""

from odoo import release
from odoo.tools import config


def running_env():
    """Odoo's ``running_env`` option, or None."""
    return config.get("running_env")


def http_interface():
    """The address Odoo's HTTP server listens on."""
    return config["http_interface"] or "0.0.0.0"


if release.version_info < (19, 0):

    def databases():
        """The databases of ``--database``, in order; empty when not set."""
        text = config["db_name"] or ""
        return [name.strip() for name in text.split(",") if name.strip()]

else:

    def databases():
        """The databases of ``--database``, in order; empty when not set."""
        return list(config["db_name"] or ())
