{
    "name": "JSON logs",
    "summary": "Write every Odoo log line as one JSON object",
    "version": "1.0.0",
    "category": "Tools",
    "author": "Odoo Cloud Platform contributors",
    "license": "AGPL-3",
    "depends": ["base"],
    "external_dependencies": {"python": ["odoo-cloud", "python-json-logger"]},
    "post_load": "post_load",
    "installable": True,
}
