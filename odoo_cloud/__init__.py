"""Framework-free core of the Odoo cloud platform suite.

Nothing in this package imports Odoo: the addons build these objects and wire
them into Odoo's hooks.
"""
