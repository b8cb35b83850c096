from readme_reference import split_readme

from odoo_cloud.config import reference


def test_readme_configuration_reference_matches_the_code():
    _, block, _ = split_readme()
    assert block == reference(), "README.md is out of date: run `make readme`"
