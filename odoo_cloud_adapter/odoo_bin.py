"""Odoo's command line (``odoo.cli``) and its logging set-up
(``odoo.netsvc``), for a script that runs Odoo as odoo-bin does.

Import this module first: it imports what odoo-bin imports, which sets Odoo
up (since 19.0, ``odoo`` alone is a namespace package that neither sets Odoo
up nor brings its command line).
"""

import odoo.cli
import odoo.netsvc

from odoo_cloud import logs


def main(formatter=None):
    """Run Odoo's command line; with ``formatter`` on every root handler from
    Odoo's first log line on, when given."""
    if formatter is not None:
        odoo.netsvc.init_logger = _then_installing(odoo.netsvc.init_logger, formatter)
    odoo.cli.main()


def _then_installing(init_logger, formatter):
    """``init_logger`` followed by ``formatter`` on every root handler."""

    def init_logger_then_formatter():
        init_logger()
        logs.install(formatter)

    return init_logger_then_formatter
