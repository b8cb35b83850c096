{
    "name": "Request metrics to statsd",
    "summary": "Send request metrics to statsd",
    "version": "1.0.0",
    "category": "Tools",
    "author": "Odoo Cloud Platform contributors",
    "license": "AGPL-3",
    "depends": ["base"],
    "external_dependencies": {"python": ["odoo-cloud"]},
    "post_load": "post_load",
    "installable": True,
}
