from odoo.tests.common import TransactionCase
from odoo.tools import config

from odoo_cloud.config import load


class TestProbe(TransactionCase):
    def test_runs_in_the_probe_database(self):
        probe = self.env["ir.module.module"].search([("name", "=", "odoo_cloud_probe")])
        self.assertEqual(probe.state, "installed")

    def test_core_reads_odoo_s_running_env_option(self):
        self.patch(config, "options", dict(config.options, running_env="integration"))
        settings = load({}, running_env_option=config.get("running_env"))
        self.assertEqual(settings.running_env, "integration")
