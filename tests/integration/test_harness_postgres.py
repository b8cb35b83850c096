"""The postgres fixture gives a real PostgreSQL that the odoo role can use."""

import subprocess


def test_odoo_role_creates_and_uses_a_database(postgres):
    postgres.psql("CREATE DATABASE harness_smoke", user=postgres.user)
    try:
        result = subprocess.run(
            [
                postgres.binary("psql"),
                "--no-psqlrc",
                "--tuples-only",
                "--no-align",
                f"--dbname={postgres.dsn('harness_smoke')}",
                "--command=SELECT current_user, current_database(), 1",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        assert result.stdout.strip() == "odoo|harness_smoke|1"
    finally:
        postgres.psql("DROP DATABASE harness_smoke")


def test_settings_are_the_fast_ones(postgres):
    assert postgres.psql("SHOW fsync") == "off"
    assert postgres.psql("SHOW synchronous_commit") == "off"
    assert (
        postgres.psql("SELECT rolcreatedb FROM pg_roles WHERE rolname = 'odoo'") == "t"
    )
