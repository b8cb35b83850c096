{
    "name": "Attachments in Azure Blob Storage",
    "summary": "Store attachments in Microsoft Azure Blob Storage",
    "version": "1.0.0",
    "category": "Knowledge",
    "author": "Odoo Cloud Platform contributors",
    "license": "AGPL-3",
    "depends": ["base_attachment_object_storage"],
    "external_dependencies": {
        "python": ["odoo-cloud", "azure-storage-blob", "azure-identity"]
    },
    "installable": True,
}
