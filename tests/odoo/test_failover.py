"""Users keep working through HAProxy while the platform loses its Redis
master, then its object store, then an Odoo instance: a short run of
``bench/failover.py`` whose goal is asserted."""

from local_platform.load import failover_run
from local_platform.topology import run_platform

USERS = 10
QUIET = 8  # seconds before, between and after the three faults


def test_users_see_only_503_during_outages_and_lose_nothing(
    odoo_tree, postgres, odoo, odoo_template_db, tmp_path
):
    with run_platform(
        odoo_tree, tmp_path, postgres, installer=odoo, template=odoo_template_db
    ) as platform:
        report = failover_run(platform, USERS, QUIET)
    print(f"\nOdoo {odoo_tree.series}\n{report.text()}")
    assert len(report.windows) == 3
    for window in report.windows:
        assert any(window.covers(request) for request in report.recorder.requests)
    # The users worked: every step succeeded many times, before and after.
    assert len(report.recorder.uploads) >= USERS
    assert report.problems() == []
