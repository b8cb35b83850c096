{
    "name": "Prometheus metrics and health probes",
    "summary": "Serve /metrics for Prometheus and health probes",
    "version": "1.0.0",
    "category": "Tools",
    "author": "Odoo Cloud Platform contributors",
    "license": "AGPL-3",
    "depends": ["base"],
    "external_dependencies": {"python": ["odoo-cloud", "prometheus-client"]},
    "post_load": "post_load",
    "installable": True,
}
