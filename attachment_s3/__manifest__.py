{
    "name": "Attachments in S3",
    "summary": "Store attachments in S3 or any S3-compatible object store",
    "version": "1.0.0",
    "category": "Knowledge",
    "author": "Odoo Cloud Platform contributors",
    "license": "AGPL-3",
    "depends": ["base_attachment_object_storage"],
    "external_dependencies": {"python": ["odoo-cloud", "boto3"]},
    "installable": True,
}
