"""Odoo's server options as the probes read them, the same on every series.

``--database`` names one database or several: Odoo 18.0 keeps the option as
the comma-separated text it was given, 19.0 parses it into a list.
"""

from odoo import release
from odoo.tools import config

if release.version_info < (19, 0):

    def databases():
        """The databases of ``--database``, in order; empty when not set."""
        text = config["db_name"] or ""
        return [name.strip() for name in text.split(",") if name.strip()]

else:

    def databases():
        """The databases of ``--database``, in order; empty when not set."""
        return list(config["db_name"] or ())
