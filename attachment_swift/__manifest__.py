{
    "name": "Attachments in OpenStack Swift",
    "summary": "Store attachments in OpenStack Swift",
    "version": "1.0.0",
    "category": "Knowledge",
    "author": "Odoo Cloud Platform contributors",
    "license": "AGPL-3",
    "depends": ["base_attachment_object_storage"],
    "external_dependencies": {
        "python": ["odoo-cloud", "python-swiftclient", "keystoneauth1"]
    },
    "installable": True,
}
