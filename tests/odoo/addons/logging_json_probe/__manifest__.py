{
    "name": "JSON logs test probe",
    "summary": "Routes that make logging_json's failure modes happen for real",
    "version": "1.0.0",
    "author": "Odoo Cloud Platform contributors",
    "license": "AGPL-3",
    "depends": ["web"],
    "installable": True,
}
