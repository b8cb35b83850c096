{
    "name": "Sessions in Redis",
    "summary": "Store HTTP sessions in Redis so that every Odoo process shares them",
    "version": "1.0.0",
    "category": "Tools",
    "author": "Odoo Cloud Platform contributors",
    "license": "AGPL-3",
    "depends": ["base", "web"],
    "external_dependencies": {"python": ["odoo-cloud", "redis"]},
    "post_load": "post_load",
    "installable": True,
}
