"""The rule table of odoo_cloud.platform, environment by environment and rule
by rule: each case is checked in the four running environments, compliant
where the environment does not demand the rule, violating where it does."""

import pytest

from odoo_cloud import config, errors, platform

ENVIRONMENTS = ("prod", "integration", "test", "dev")
SWIFT = {
    "SWIFT_AUTH_URL": "https://swift.example.com/auth/v1.0",
    "SWIFT_ACCOUNT": "acme:odoo",
    "SWIFT_PASSWORD": "swift-secret",
}

AZURE_KEY = {
    "AZURE_STORAGE_ACCOUNT_NAME": "acme",
    "AZURE_STORAGE_ACCOUNT_KEY": "azure-secret",
}
AZURE_CREDENTIALS = (
    "AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCOUNT_NAME or "
    "AZURE_STORAGE_ACCOUNT_KEY or AZURE_STORAGE_ACCOUNT_URL or AZURE_STORAGE_USE_AAD"
)


def compliant(env):
    """A configuration that follows every rule of ``env``; ``{env}`` in the
    cases below is replaced the same way."""
    return {
        "RUNNING_ENV": env,
        "ODOO_SESSION_REDIS": "1",
        "ODOO_SESSION_REDIS_HOST": "redis.example.com",
        "ODOO_SESSION_REDIS_PREFIX": f"acme-odoo-{env}",
        "AWS_BUCKETNAME": f"acme-odoo-{env}",
        "ODOO_LOGGING_JSON": "1",
    }


def settings(environ):
    parsed, errors = config.parse(environ)
    assert errors == []
    return parsed


def violations(environ, dbname=None):
    return platform.violations(settings(environ), environ["RUNNING_ENV"], dbname)


def variant(env, changes):
    """``compliant(env)`` with ``changes``: None unsets a variable."""
    environ = compliant(env)
    for name, value in changes.items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value.replace("{env}", env)
    return environ


SESSIONS = {"prod", "integration", "test"}
OBJECT_STORAGE = {"prod", "integration"}
NOT_PROD = {"integration", "test", "dev"}
# name: (changes to the compliant configuration, the environments where a
# rule is then violated, the variable the violation names)
CASES = {
    "sessions off": (
        {"ODOO_SESSION_REDIS": "0"}, SESSIONS, "ODOO_SESSION_REDIS"),
    "sessions unset": (
        {"ODOO_SESSION_REDIS": None}, SESSIONS, "ODOO_SESSION_REDIS"),
    "no Redis host": (
        {"ODOO_SESSION_REDIS_HOST": None}, SESSIONS, "ODOO_SESSION_REDIS_HOST"),
    "Redis URL instead of host": (
        {"ODOO_SESSION_REDIS_HOST": None,
         "ODOO_SESSION_REDIS_URL": "redis://:pw@redis:6379/0"}, set(), None),
    "Redis sentinels instead of host": (
        {"ODOO_SESSION_REDIS_HOST": None,
         "ODOO_SESSION_REDIS_SENTINEL_HOST": "s1,s2",
         "ODOO_SESSION_REDIS_SENTINEL_MASTER_NAME": "main"}, set(), None),
    "default prefix": (
        {"ODOO_SESSION_REDIS_PREFIX": None}, SESSIONS, "ODOO_SESSION_REDIS_PREFIX"),
    "prefix of another environment": (
        {"ODOO_SESSION_REDIS_PREFIX": "acme-odoo-dev"}, SESSIONS,
        "ODOO_SESSION_REDIS_PREFIX"),
    "prefix without project": (
        {"ODOO_SESSION_REDIS_PREFIX": "odoo-{env}"}, SESSIONS,
        "ODOO_SESSION_REDIS_PREFIX"),
    "no object store": (
        {"AWS_BUCKETNAME": None}, OBJECT_STORAGE,
        "AWS_BUCKETNAME or SWIFT_WRITE_CONTAINER or AZURE_STORAGE_NAME"),
    "Swift instead of S3": (
        {"AWS_BUCKETNAME": None, "SWIFT_WRITE_CONTAINER": "acme-odoo-{env}", **SWIFT},
        set(), None),
    "Swift without password": (
        {"AWS_BUCKETNAME": None, "SWIFT_WRITE_CONTAINER": "acme-odoo-{env}",
         **SWIFT, "SWIFT_PASSWORD": None}, OBJECT_STORAGE, "SWIFT_PASSWORD"),
    "Swift redirects without a temp URL key": (
        {"AWS_BUCKETNAME": None, "SWIFT_WRITE_CONTAINER": "acme-odoo-{env}",
         **SWIFT, "ATTACHMENT_STORAGE_REDIRECT": "signed-url"}, set(ENVIRONMENTS),
        "SWIFT_TEMP_URL_KEY"),
    "Swift redirects with a temp URL key": (
        {"AWS_BUCKETNAME": None, "SWIFT_WRITE_CONTAINER": "acme-odoo-{env}",
         **SWIFT, "ATTACHMENT_STORAGE_REDIRECT": "x-accel-redirect",
         "SWIFT_TEMP_URL_KEY": "k3y"}, set(), None),
    "S3 redirects": (
        {"ATTACHMENT_STORAGE_REDIRECT": "signed-url"}, set(), None),
    "S3 and Swift both": (
        {"SWIFT_WRITE_CONTAINER": "acme-odoo-{env}", **SWIFT}, OBJECT_STORAGE,
        "AWS_BUCKETNAME and SWIFT_WRITE_CONTAINER"),
    "Azure instead of S3, by account key": (
        {"AWS_BUCKETNAME": None, "AZURE_STORAGE_NAME": "acme-odoo-{env}",
         **AZURE_KEY}, set(), None),
    "Azure by connection string": (
        {"AWS_BUCKETNAME": None, "AZURE_STORAGE_NAME": "acme-odoo-{env}",
         "AZURE_STORAGE_CONNECTION_STRING": "AccountName=acme;AccountKey=a2V5"},
        set(), None),
    "Azure by account URL and key": (
        {"AWS_BUCKETNAME": None, "AZURE_STORAGE_NAME": "acme-odoo-{env}",
         "AZURE_STORAGE_ACCOUNT_URL": "https://acme.blob.core.windows.net",
         "AZURE_STORAGE_ACCOUNT_KEY": "azure-secret"}, set(), None),
    "Azure by Entra ID": (
        {"AWS_BUCKETNAME": None, "AZURE_STORAGE_NAME": "acme-odoo-{env}",
         "AZURE_STORAGE_ACCOUNT_NAME": "acme", "AZURE_STORAGE_USE_AAD": "1"},
        set(), None),
    "Azure account without key": (
        {"AWS_BUCKETNAME": None, "AZURE_STORAGE_NAME": "acme-odoo-{env}",
         "AZURE_STORAGE_ACCOUNT_NAME": "acme"}, OBJECT_STORAGE, AZURE_CREDENTIALS),
    "Azure without credentials": (
        {"AWS_BUCKETNAME": None, "AZURE_STORAGE_NAME": "acme-odoo-{env}"},
        OBJECT_STORAGE, AZURE_CREDENTIALS),
    "S3 and Azure both": (
        {"AZURE_STORAGE_NAME": "acme-odoo-{env}", **AZURE_KEY}, OBJECT_STORAGE,
        "AWS_BUCKETNAME and AZURE_STORAGE_NAME"),
    "production's Azure container": (
        {"AWS_BUCKETNAME": None, "AZURE_STORAGE_NAME": "acme-odoo-prod",
         **AZURE_KEY}, NOT_PROD, "AZURE_STORAGE_NAME"),
    "integration's bucket": (
        {"AWS_BUCKETNAME": "acme-odoo-integration"}, {"prod"}, "AWS_BUCKETNAME"),
    "production's bucket": (
        {"AWS_BUCKETNAME": "acme-odoo-prod"}, NOT_PROD, "AWS_BUCKETNAME"),
    "production's bucket, unstructured": (
        {"AWS_BUCKETNAME": "acme-odoo-prod", "AWS_BUCKETNAME_UNSTRUCTURED": "1"},
        NOT_PROD, "AWS_BUCKETNAME"),
    "production's container": (
        {"AWS_BUCKETNAME": None, "SWIFT_WRITE_CONTAINER": "acme-odoo-prod", **SWIFT},
        NOT_PROD, "SWIFT_WRITE_CONTAINER"),
    "bucket named otherwise": (
        {"AWS_BUCKETNAME": "legacy-files"}, OBJECT_STORAGE, "AWS_BUCKETNAME"),
    "bucket named otherwise, unstructured": (
        {"AWS_BUCKETNAME": "legacy-files", "AWS_BUCKETNAME_UNSTRUCTURED": "1"},
        set(), None),
    "container named otherwise, unstructured": (
        {"AWS_BUCKETNAME": None, "SWIFT_WRITE_CONTAINER": "Legacy", **SWIFT,
         "SWIFT_WRITE_CONTAINER_UNSTRUCTURED": "1"}, set(), None),
    "bucket per database": (
        {"AWS_BUCKETNAME": "{db}-odoo-{env}"}, set(), None),
    "text logs": (
        {"ODOO_LOGGING_JSON": "0"}, OBJECT_STORAGE, "ODOO_LOGGING_JSON"),
    "nothing configured": (
        {name: None for name in compliant("dev") if name != "RUNNING_ENV"},
        {"prod", "integration", "test"}, None),
}  # fmt: skip


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_compliant_configuration_follows_every_rule(env):
    assert violations(compliant(env)) == []


@pytest.mark.parametrize("env", ENVIRONMENTS)
@pytest.mark.parametrize("case", CASES)
def test_rule(case, env):
    changes, violated_in, variable = CASES[case]
    found = violations(variant(env, changes))
    if env not in violated_in:
        assert found == []
    elif variable:
        assert [violation.variable for violation in found] == [variable]
    else:
        assert found


def test_dev_requires_nothing():
    assert violations({"RUNNING_ENV": "dev"}) == []


@pytest.mark.parametrize("env", [None, "staging"])
def test_an_unknown_running_environment_is_an_error(env):
    found = platform.violations(settings({}), env)
    assert [violation.variable for violation in found] == ["RUNNING_ENV"]
    assert "one of prod, integration, test, dev" in str(found[0])


def test_a_violation_says_what_is_held_expected_and_how_to_fix_it():
    environ = variant("prod", {"AWS_BUCKETNAME": "acme-odoo-integration"})
    (found,) = violations(environ)
    assert str(found) == (
        "AWS_BUCKETNAME=acme-odoo-integration: expected <project>-odoo-prod "
        "(regex ^[a-z0-9][a-z0-9_-]*-odoo-prod$)\n"
        "  fix: rename it <project>-odoo-prod, or set AWS_BUCKETNAME_UNSTRUCTURED=1 "
        "if the platform names it otherwise"
    )


def test_the_report_names_every_rule_and_masks_secrets():
    environ = {
        "RUNNING_ENV": "prod",
        "ODOO_SESSION_REDIS_URL": "redis://user:redis-secret@redis:6379/0",
        "ODOO_SESSION_REDIS_PASSWORD": "redis-secret",
        "AWS_SECRET_ACCESS_KEY": "aws-secret",
        "SWIFT_WRITE_CONTAINER": "files",
        "SWIFT_PASSWORD": "swift-secret",
    }
    error = errors.PlatformError("prod", violations(environ))
    text = str(error)
    assert text.startswith("RUNNING_ENV=prod: 6 platform rules violated\n- ")
    named = ["ODOO_SESSION_REDIS", "ODOO_SESSION_REDIS_PREFIX", "SWIFT_AUTH_URL"]
    named += ["SWIFT_ACCOUNT", "SWIFT_WRITE_CONTAINER", "ODOO_LOGGING_JSON"]
    for name in named:
        assert f"\n- {name}=" in text
    assert "secret" not in text


@pytest.mark.parametrize(
    ("bucket", "dbname", "violated"),
    [
        ("{db}-odoo-prod", "acme", False),
        ("{db}-odoo-prod", "Not A Bucket", True),
        ("acme-odoo-prod-{db}", "main", True),
        ("{db}-odoo-prod", None, False),
    ],
)
def test_db_in_a_bucket_name_stands_for_the_database(bucket, dbname, violated):
    environ = variant("prod", {"AWS_BUCKETNAME": bucket})
    assert bool(violations(environ, dbname)) is violated


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_a_database_name_that_makes_the_bucket_name_invalid_is_a_violation(env):
    environ = variant(
        env,
        {
            "AWS_BUCKETNAME": None,
            **AZURE_KEY,
            "AZURE_STORAGE_NAME": "acme-odoo-{env}-{db}",
            "AZURE_STORAGE_NAME_UNSTRUCTURED": "1",
        },
    )
    assert violations(environ, "shop") == []
    (found,) = violations(environ, "Shop_2026")
    assert str(found) == (
        f"AZURE_STORAGE_NAME=acme-odoo-{env}-{{db}}: expected a container name "
        f"Azure accepts once {{db}} is Shop_2026 (acme-odoo-{env}-Shop_2026): 3 to "
        "63 lowercase letters, digits and hyphens, starting and ending with a "
        "letter or a digit, no two hyphens in a row\n"
        "  fix: name the container without {db}, or rename the database"
    )


def test_a_production_template_is_refused_outside_production():
    environ = variant("integration", {"AWS_BUCKETNAME": "{db}-odoo-prod"})
    assert [v.variable for v in violations(environ, "acme")] == ["AWS_BUCKETNAME"]


# (env, installed backends, configured variables, expected location)
LOCATIONS = [
    ("prod", ["s3"], {"AWS_BUCKETNAME": "acme-odoo-prod"}, "s3"),
    ("prod", ["s3", "swift"], {"SWIFT_WRITE_CONTAINER": "acme-odoo-prod"}, "swift"),
    ("prod", ["swift"], {"AWS_BUCKETNAME": "acme-odoo-prod"}, None),
    ("prod", [], {"AWS_BUCKETNAME": "acme-odoo-prod"}, None),
    ("integration", ["s3"], {"AWS_BUCKETNAME": "acme-odoo-integration"}, "s3"),
    ("test", ["s3"], {"AWS_BUCKETNAME": "acme-odoo-test"}, "db"),
    ("test", [], {}, "db"),
    ("dev", ["s3"], {"AWS_BUCKETNAME": "acme-odoo-dev"}, "s3"),
    ("dev", ["s3"], {}, "file"),
    ("dev", [], {}, "file"),
]


@pytest.mark.parametrize(("env", "schemes", "environ", "expected"), LOCATIONS)
def test_attachment_location(env, schemes, environ, expected):
    parsed = settings(environ)
    assert platform.attachment_location(parsed, env, schemes) == expected


@pytest.mark.parametrize(
    ("env", "current", "variable"),
    [
        ("prod", "s3", None),
        ("prod", "file", "ir_attachment.location"),
        ("prod", None, "ir_attachment.location"),
        ("test", "db", None),
        ("test", "s3", "ir_attachment.location"),
        ("dev", "s3", None),
    ],
)
def test_check_location(env, current, variable):
    parsed = settings({"AWS_BUCKETNAME": f"acme-odoo-{env}"})
    found = platform.check_location(parsed, env, ["s3"], current)
    assert [v.variable for v in found] == ([variable] if variable else [])


def test_prod_without_a_backend_installed_names_the_addons():
    parsed = settings({"AWS_BUCKETNAME": "acme-odoo-prod"})
    (found,) = platform.check_location(parsed, "prod", [], None)
    assert "install and configure attachment_s3 (AWS_BUCKETNAME)" in found.fix


@pytest.mark.parametrize(
    ("environ", "expected", "source"),
    [
        ({"RUNNING_ENV": "test"}, 86400, "default in test"),
        ({"RUNNING_ENV": "prod"}, 7 * 86400, "default"),
        ({"RUNNING_ENV": "test", "ODOO_SESSION_REDIS_EXPIRATION": "600"}, 600, "env"),
    ],
)
def test_sessions_last_one_day_by_default_in_test(environ, expected, source):
    parsed = settings(environ)
    assert parsed["ODOO_SESSION_REDIS_EXPIRATION"] == expected
    assert parsed.source("ODOO_SESSION_REDIS_EXPIRATION") == source


def test_every_running_environment_has_rules():
    assert set(platform.RULES) == set(platform.RUNNING_ENVIRONMENTS)


@pytest.mark.parametrize(
    ("environ", "option", "argument", "expected", "source"),
    [
        ({"RUNNING_ENV": "dev"}, "test", "prod", "prod", "--env"),
        ({"RUNNING_ENV": "dev"}, "test", None, "dev", "env"),
        ({}, "test", None, "test", "odoo option running_env"),
        ({"RUNNING_ENV": " "}, "test", None, "test", "odoo option running_env"),
        ({}, None, None, None, "default"),
    ],
)
def test_the_running_environment_names_its_source(
    environ, option, argument, expected, source
):
    parsed, errors = config.parse(
        environ, running_env_option=option, running_env_argument=argument
    )
    assert errors == []
    assert (parsed.running_env, parsed.source("RUNNING_ENV")) == (expected, source)


def test_the_running_environment_of_env_chooses_the_defaults():
    parsed, _ = config.parse({"RUNNING_ENV": "dev"}, running_env_argument="test")
    assert parsed["ODOO_SESSION_REDIS_EXPIRATION"] == 86400
