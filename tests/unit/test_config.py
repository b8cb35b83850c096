import pytest

from odoo_cloud import config
from odoo_cloud.config import MASK, ConfigError, Secret, load, parse


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(word, True) for word in ("1", "true", "TRUE", "Yes", "on", " On ")]
    + [(word, False) for word in ("0", "false", "False", "NO", "off")],
)
def test_boolean_accepts_the_usual_words_in_any_case(raw, expected):
    assert load({"ODOO_SESSION_REDIS": raw})["ODOO_SESSION_REDIS"] is expected


@pytest.mark.parametrize("raw", ["maybe", "2", "y", "enabled"])
def test_boolean_refuses_anything_else(raw):
    with pytest.raises(ConfigError) as error:
        load({"ODOO_SESSION_REDIS": raw})
    assert list(map(str, error.value.problems)) == [
        f"ODOO_SESSION_REDIS={raw!r} is not a boolean "
        "(use 1/0, true/false, yes/no or on/off)"
    ]


def test_port_is_an_integer_in_range():
    assert load({"ODOO_SESSION_REDIS_PORT": "6380"})["ODOO_SESSION_REDIS_PORT"] == 6380


@pytest.mark.parametrize("raw", ["abc", "63.5", "0", "65536", "-1"])
def test_port_refuses_non_ports(raw):
    with pytest.raises(ConfigError, match=rf"^STATSD_PORT={raw!r} .*port number"):
        load({"STATSD_PORT": raw})


def test_integer_with_minimum():
    assert load({"ODOO_SESSION_REDIS_DB": "3"})["ODOO_SESSION_REDIS_DB"] == 3
    with pytest.raises(ConfigError, match=r"ODOO_SESSION_REDIS_DB='-1' must be"):
        load({"ODOO_SESSION_REDIS_DB": "-1"})


@pytest.mark.parametrize("raw", ["-5", "0", "soon", "1.5"])
def test_ttl_refuses_negative_zero_and_non_integers(raw):
    with pytest.raises(ConfigError, match="ODOO_SESSION_REDIS_EXPIRATION="):
        load({"ODOO_SESSION_REDIS_EXPIRATION": raw})


def test_ttl_defaults_are_odoo_s_week_and_three_hours():
    settings = load({})
    assert settings["ODOO_SESSION_REDIS_EXPIRATION"] == 7 * 24 * 3600
    assert settings["ODOO_SESSION_REDIS_EXPIRATION_ANONYMOUS"] == 3 * 3600


@pytest.mark.parametrize(
    "raw",
    [
        "redis://localhost:6379/0",
        "rediss://user:pw@redis.example:6380/1",
        "unix:///run/r.sock",
    ],
)
def test_redis_url_accepts_the_three_schemes(raw):
    assert load({"ODOO_SESSION_REDIS_URL": raw})["ODOO_SESSION_REDIS_URL"] == raw


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("http://localhost", "must be a URL starting with redis://"),
        ("localhost:6379", "must be a URL starting with redis://"),
        ("redis://:6379", "has no valid host name"),
        ("redis://host:port/0", "has an invalid port"),
        ("redis://bad host/0", "has no valid host name"),
        ("unix://", "has no socket path"),
    ],
)
def test_malformed_urls_are_refused_with_the_reason(raw, reason):
    with pytest.raises(ConfigError) as error:
        load({"ODOO_SESSION_REDIS_URL": raw})
    assert str(error.value.problems[0]).startswith(
        f"ODOO_SESSION_REDIS_URL={raw!r} {reason}"
    )


def test_endpoint_without_scheme_gets_https():
    assert (
        load({"AWS_HOST": "sos.example.com"})["AWS_HOST"] == "https://sos.example.com"
    )
    assert load({"AWS_HOST": "http://127.0.0.1:9000"})["AWS_HOST"] == (
        "http://127.0.0.1:9000"
    )


def test_choice_is_case_insensitive_and_lists_the_choices():
    assert load({"RUNNING_ENV": "PROD"}).running_env == "prod"
    with pytest.raises(
        ConfigError, match="must be one of prod, integration, test, dev"
    ):
        load({"RUNNING_ENV": "staging"})


def test_text_is_kept_as_given():
    assert (
        load({"ODOO_SESSION_REDIS_PREFIX": "acme-odoo-prod"})[
            "ODOO_SESSION_REDIS_PREFIX"
        ]
        == "acme-odoo-prod"
    )


def test_empty_value_means_default():
    settings = load({"ODOO_SESSION_REDIS_PORT": "", "ODOO_SESSION_REDIS": " "})
    assert settings["ODOO_SESSION_REDIS_PORT"] == 6379
    assert settings.source("ODOO_SESSION_REDIS_PORT") == "default"


def test_every_bad_variable_is_reported_at_once():
    _, problems = parse(
        {"ODOO_SESSION_REDIS": "maybe", "ODOO_SESSION_REDIS_PORT": "abc"}
    )
    assert [problem.variable for problem in problems] == [
        "ODOO_SESSION_REDIS",
        "ODOO_SESSION_REDIS_PORT",
    ]


def test_running_env_falls_back_to_odoo_option():
    settings = load({}, running_env_option="integration")
    assert settings.running_env == "integration"
    assert settings.source("RUNNING_ENV") == "odoo option running_env"
    assert load({"RUNNING_ENV": "dev"}, running_env_option="prod").running_env == "dev"
    assert load({}).running_env is None
    with pytest.raises(ConfigError, match="RUNNING_ENV='preprod' must be one of"):
        load({}, running_env_option="preprod")


def test_secrets_are_wrapped_and_never_shown():
    settings = load(
        {
            "ODOO_SESSION_REDIS_PASSWORD": "hunter2",
            "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI",
            "SWIFT_PASSWORD": "sw1ft",
        }
    )
    for name, value in [
        ("ODOO_SESSION_REDIS_PASSWORD", "hunter2"),
        ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI"),
        ("SWIFT_PASSWORD", "sw1ft"),
    ]:
        secret = settings[name]
        assert isinstance(secret, Secret)
        assert secret.reveal() == value
        for shown in (repr(secret), str(secret), f"{secret}", repr(settings)):
            assert value not in shown
        assert settings.settings[name].variable.display(secret) == MASK


def test_password_in_url_is_masked_when_displayed():
    settings = load({"ODOO_SESSION_REDIS_URL": "redis://app:hunter2@redis:6379/0"})
    setting = settings.settings["ODOO_SESSION_REDIS_URL"]
    assert setting.variable.display(setting.value) == f"redis://app:{MASK}@redis:6379/0"
    assert "hunter2" not in repr(setting)


def test_every_variable_has_a_group_and_a_help_line():
    for variable in config.catalogue():
        assert variable.group and variable.help, variable.name
    assert len(config.catalogue_by_name()) == len(config.catalogue())


def test_load_for_some_groups_refuses_only_their_variables():
    environ = {"STATSD_PORT": "abc", "ODOO_SESSION_REDIS_PORT": "6380"}
    settings = load(environ, groups=("sessions",))
    assert settings["ODOO_SESSION_REDIS_PORT"] == 6380
    assert "STATSD_PORT" not in settings.settings
    with pytest.raises(ConfigError, match="STATSD_PORT='abc'"):
        load(environ, groups=("metrics",))
