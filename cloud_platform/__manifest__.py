{
    "name": "Cloud platform",
    "summary": "Refuse to start an environment that is configured wrongly",
    "version": "1.0.0",
    "category": "Tools",
    "author": "Odoo Cloud Platform contributors",
    "license": "AGPL-3",
    "depends": ["base_attachment_object_storage"],
    "external_dependencies": {"python": ["odoo-cloud"]},
    "installable": True,
}
