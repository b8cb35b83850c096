{
    "name": "No in-process session GC",
    "summary": "Stop Odoo from walking session_dir to expire sessions",
    "version": "1.0.0",
    "category": "Tools",
    "author": "Odoo Cloud Platform contributors",
    "license": "AGPL-3",
    "depends": ["base"],
    "external_dependencies": {"python": ["odoo-cloud"]},
    "post_load": "post_load",
    "installable": True,
}
