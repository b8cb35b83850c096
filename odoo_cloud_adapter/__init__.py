"""The Odoo adapter layer: the only code of the suite's Python packages that
knows Odoo's internals, one module per surface of Odoo it adapts; the core,
``odoo_cloud``, never imports Odoo."""
