{
    "name": "Odoo cloud platform test probe",
    "summary": "Proves that pytest-odoo runs an addon's tests in the Odoo tier",
    "version": "1.0.0",
    "author": "Odoo Cloud Platform contributors",
    "license": "AGPL-3",
    "depends": ["base"],
    "installable": True,
}
