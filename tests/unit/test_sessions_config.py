"""The session settings: new value types, and the clients they build."""

import pytest
import redis
import redis.cluster

from odoo_cloud.config import ConfigError, load
from odoo_cloud.sessions import store
from odoo_cloud.sessions.connection import connect, describe


@pytest.mark.parametrize(
    ("raw", "expected", "shown"),
    [
        ("redis-1", (("redis-1", None),), "redis-1"),
        ("a:26380, b ,c:1", (("a", 26380), ("b", None), ("c", 1)), "a:26380,b,c:1"),
        ("[::1]:26379", (("::1", 26379),), "[::1]:26379"),
    ],
)
def test_sentinel_hosts_are_a_host_port_list(raw, expected, shown):
    value = load({"ODOO_SESSION_REDIS_SENTINEL_HOST": raw})[
        "ODOO_SESSION_REDIS_SENTINEL_HOST"
    ]
    assert value == expected and str(value) == shown


@pytest.mark.parametrize(
    ("raw", "reason"),
    [("a,,b", "has no valid host name in ''"), ("a:xyz", "is not a TCP/UDP port")],
)
def test_bad_sentinel_hosts_are_refused(raw, reason):
    with pytest.raises(ConfigError) as error:
        load({"ODOO_SESSION_REDIS_SENTINEL_HOST": raw})
    assert str(error.value.problems[0]).startswith(
        f"ODOO_SESSION_REDIS_SENTINEL_HOST={raw!r} {reason}"
    )


@pytest.mark.parametrize(("raw", "seconds"), [("0.5", 0.5), ("3", 3.0)])
def test_timeouts_take_fractions(raw, seconds):
    config = load({"ODOO_SESSION_REDIS_CONNECT_TIMEOUT": raw})
    assert config["ODOO_SESSION_REDIS_CONNECT_TIMEOUT"] == seconds
    assert load({})["ODOO_SESSION_REDIS_SOCKET_TIMEOUT"] == 2.0


@pytest.mark.parametrize("raw", ["0", "-1", "soon", "inf", "nan"])
def test_timeouts_refuse_non_positive_numbers(raw):
    with pytest.raises(ConfigError, match="ODOO_SESSION_REDIS_SOCKET_TIMEOUT="):
        load({"ODOO_SESSION_REDIS_SOCKET_TIMEOUT": raw})


def test_tls_files_must_exist(tmp_path):
    ca = tmp_path / "ca.crt"
    ca.write_text("")
    assert load({"ODOO_SESSION_REDIS_TLS_CA_FILE": str(ca)})[
        "ODOO_SESSION_REDIS_TLS_CA_FILE"
    ] == str(ca)
    with pytest.raises(ConfigError, match=r"TLS_KEY_FILE=.* is not an existing file"):
        load({"ODOO_SESSION_REDIS_TLS_KEY_FILE": str(tmp_path / "missing.key")})


def connection_kwargs(client):
    return client.connection_pool.connection_kwargs


def test_standalone_client_has_short_timeouts_and_no_retry():
    client = connect(load({"ODOO_SESSION_REDIS_PASSWORD": "pw"}))
    options = connection_kwargs(client)
    assert options["socket_connect_timeout"] == 2.0
    assert options["socket_timeout"] == 2.0
    assert options["retry"].get_retries() == 0
    assert options["password"] == "pw"


def test_tls_without_url(tmp_path):
    for name in ("ca.crt", "c.crt", "c.key"):
        (tmp_path / name).write_text("")
    client = connect(
        load(
            {
                "ODOO_SESSION_REDIS_TLS": "1",
                "ODOO_SESSION_REDIS_TLS_CA_FILE": str(tmp_path / "ca.crt"),
                "ODOO_SESSION_REDIS_TLS_CERT_FILE": str(tmp_path / "c.crt"),
                "ODOO_SESSION_REDIS_TLS_KEY_FILE": str(tmp_path / "c.key"),
                "ODOO_SESSION_REDIS_TLS_CERT_REQS": "optional",
            }
        )
    )
    assert client.connection_pool.connection_class is redis.SSLConnection
    options = connection_kwargs(client)
    assert options["ssl_ca_certs"] == str(tmp_path / "ca.crt")
    assert options["ssl_keyfile"] == str(tmp_path / "c.key")
    assert options["ssl_cert_reqs"] == "optional"


def test_url_wins_over_host_and_keeps_the_timeouts():
    config = load(
        {
            "ODOO_SESSION_REDIS_URL": "rediss://u:secret@redis.example:6390/3",
            "ODOO_SESSION_REDIS_HOST": "ignored",
        }
    )
    client = connect(config)
    options = connection_kwargs(client)
    assert (options["host"], options["port"], options["db"]) == (
        "redis.example",
        6390,
        3,
    )
    assert client.connection_pool.connection_class is redis.SSLConnection
    assert options["socket_connect_timeout"] == 2.0
    assert describe(config) == (
        "rediss://u:********@redis.example:6390/3 (ODOO_SESSION_REDIS_URL)"
    )


def test_sentinel_password_is_not_the_redis_password():
    config = load(
        {
            "ODOO_SESSION_REDIS_SENTINEL_HOST": "s1,s2:26380",
            "ODOO_SESSION_REDIS_SENTINEL_MASTER_NAME": "main",
            "ODOO_SESSION_REDIS_SENTINEL_PASSWORD": "sentinel-pw",
            "ODOO_SESSION_REDIS_PASSWORD": "redis-pw",
        }
    )
    client = connect(config)
    manager = client.connection_pool.sentinel_manager
    assert [
        (s.connection_pool.connection_kwargs["host"],
         s.connection_pool.connection_kwargs["port"],
         s.connection_pool.connection_kwargs["password"])
        for s in manager.sentinels
    ] == [("s1", 26379, "sentinel-pw"), ("s2", 26380, "sentinel-pw")]  # fmt: skip
    assert connection_kwargs(client)["password"] == "redis-pw"
    assert describe(config) == (
        "master 'main' of sentinels s1:26379,s2:26380 "
        "(ODOO_SESSION_REDIS_SENTINEL_HOST)"
    )


def test_cluster_client_is_a_redis_cluster():
    # RedisCluster asks a node for the slots as it is built: point it nowhere.
    config = load(
        {
            "ODOO_SESSION_REDIS_CLUSTER": "1",
            "ODOO_SESSION_REDIS_PORT": "1",
            "ODOO_SESSION_REDIS_CONNECT_TIMEOUT": "0.2",
        }
    )
    with pytest.raises(redis.cluster.RedisClusterException):
        connect(config)
    assert describe(config).startswith("cluster node redis://localhost:1 ")


@pytest.mark.parametrize(
    ("environ", "reason"),
    [
        (
            {"ODOO_SESSION_REDIS_SENTINEL_HOST": "s1"},
            "ODOO_SESSION_REDIS_SENTINEL_MASTER_NAME is required",
        ),
        (
            {"ODOO_SESSION_REDIS_CLUSTER": "1", "ODOO_SESSION_REDIS_DB": "2"},
            "ODOO_SESSION_REDIS_DB=2 must be 0 with ODOO_SESSION_REDIS_CLUSTER",
        ),
        (
            {"ODOO_SESSION_REDIS_TLS_CERT_FILE": __file__},
            "ODOO_SESSION_REDIS_TLS_CERT_FILE and ODOO_SESSION_REDIS_TLS_KEY_FILE",
        ),
    ],
)
def test_combinations_that_cannot_work_are_refused(environ, reason):
    with pytest.raises(ConfigError, match=reason):
        store.sessions_from_config(load(environ))


def test_the_settings_are_checked_once_not_at_each_client(monkeypatch):
    checked = []
    monkeypatch.setattr(store, "validate", checked.append)
    config = load({"ODOO_SESSION_REDIS_PORT": "1"})
    sessions = store.sessions_from_config(config)
    sessions._connect().close()  # a client, as each process builds its own
    assert checked == [config]
