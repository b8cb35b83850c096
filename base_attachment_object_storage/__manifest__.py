{
    "name": "Attachments in object storage (base)",
    "summary": "ir.attachment plumbing shared by the S3, Swift and Azure backends",
    "version": "1.0.0",
    "category": "Knowledge",
    "author": "Odoo Cloud Platform contributors",
    "license": "AGPL-3",
    "depends": ["base"],
    "external_dependencies": {"python": ["odoo-cloud"]},
    "data": ["security/ir.model.access.csv"],
    "installable": True,
}
