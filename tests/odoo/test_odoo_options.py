"""The suite's environment variables against Odoo's own options.

Since 19.0 Odoo reads every option from ``ODOO_<OPTION>`` in the environment
as well: a suite variable named like one would also set that option.
"""

import in_odoo

from odoo_cloud.config import catalogue


def test_odoo_reads_no_suite_variable_as_one_of_its_options(odoo_tree):
    odoo_variables = set(odoo_tree.call(in_odoo.option_variables)) - {None}
    if odoo_tree.series != "18.0":
        assert "ODOO_WORKERS" in odoo_variables
    assert odoo_variables & {variable.name for variable in catalogue()} == set()
