{
    "name": "Cloud platform",
    "summary": "Check that the environment is configured as the running environment demands",
    "version": "18.0.1.0.0",
    "category": "Tools",
    "author": "Odoo Cloud Platform contributors",
    "license": "AGPL-3",
    "depends": ["base"],
    "external_dependencies": {"python": ["odoo-cloud"]},
    "installable": True,
}
