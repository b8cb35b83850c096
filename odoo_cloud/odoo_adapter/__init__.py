"""The Odoo adapter layer: the only code of ``odoo_cloud`` that knows Odoo's
internals, one module per surface of Odoo it adapts."""
