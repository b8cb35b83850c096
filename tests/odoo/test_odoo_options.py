"""The suite's environment variables against Odoo's own options.

Since 19.0 Odoo reads every option from ``ODOO_<OPTION>`` in the environment
as well: a suite variable named like one would also set that option.
"""

import json
import subprocess

from odoo_cloud.config import catalogue

# Printed by the tree's Python: the variable each of Odoo's options reads.
ODOO_OPTION_VARIABLES = """
import json
from odoo.tools import config
options = config.parser._get_all_options()
print(json.dumps([getattr(option, "env_name", None) for option in options]))
"""


def test_odoo_reads_no_suite_variable_as_one_of_its_options(odoo_tree):
    listed = subprocess.run(
        [str(odoo_tree.python), "-c", ODOO_OPTION_VARIABLES],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    odoo_variables = set(json.loads(listed.stdout)) - {None}
    if odoo_tree.series != "18.0":
        assert "ODOO_WORKERS" in odoo_variables
    assert odoo_variables & {variable.name for variable in catalogue()} == set()
