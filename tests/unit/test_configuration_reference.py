from configuration_reference import split_page

from odoo_cloud.config import reference


def test_the_configuration_reference_matches_the_code():
    _, block, _ = split_page()
    assert block == reference(), (
        "docs/configuration.md is out of date: run `make reference`"
    )
