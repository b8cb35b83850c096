"""An outage reads as a sentence: who is unreachable, and the operating
system's words for why, from the real errors of each client."""

import logging
import socket

import pytest
import redis
import requests

from odoo_cloud.config import load
from odoo_cloud.errors import SessionStoreUnavailable
from odoo_cloud.sessions.store import sessions_from_config
from odoo_cloud.storage import StorageUnavailable, Stores
from odoo_cloud.unreachable import cause


@pytest.fixture
def closed_port():
    """A loopback port nobody listens on: connecting is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def silent_port():
    """A loopback port that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def raised(call):
    with pytest.raises(Exception) as info:
        call()
    return info.value


def test_a_refused_connection_reads_connection_refused(closed_port):
    url = f"http://127.0.0.1:{closed_port}/"
    client = redis.Redis(port=closed_port, retry=None)
    assert cause(raised(client.ping)) == "Connection refused"
    assert cause(raised(lambda: requests.get(url, timeout=5))) == "Connection refused"


def test_a_server_that_does_not_answer_reads_timed_out(silent_port):
    client = redis.Redis(port=silent_port, socket_timeout=0.2, retry=None)
    assert cause(raised(client.ping)) == "timed out"
    url = f"http://127.0.0.1:{silent_port}/"
    read = raised(lambda: requests.get(url, timeout=0.2))
    assert cause(read) == "timed out (read timeout=0.2)"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ValueError("first line\nsecond line"), "first line"),
        (ValueError(), "ValueError"),
    ],
)
def test_without_an_operating_system_error_the_message_s_first_line(error, expected):
    assert cause(error) == expected


def test_redis_unreachable_is_one_sentence_logged_once_per_outage(closed_port, caplog):
    settings = load(
        {"ODOO_SESSION_REDIS": "1", "ODOO_SESSION_REDIS_PORT": str(closed_port)}
    )
    sessions = sessions_from_config(settings)
    variables = "(ODOO_SESSION_REDIS_HOST, ODOO_SESSION_REDIS_PORT)"
    address = f"redis://localhost:{closed_port} {variables}"
    unreachable = (
        f"Redis session store at {address} is unreachable (Connection refused)"
    )
    for _ in range(2):
        with pytest.raises(SessionStoreUnavailable) as error:
            sessions.ping()
        assert str(error.value) == unreachable
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == [f"{unreachable}; answering 503 until it answers again."]


def test_sentinels_that_name_no_master_each_say_why(closed_port):
    settings = load(
        {
            "ODOO_SESSION_REDIS": "1",
            "ODOO_SESSION_REDIS_SENTINEL_HOST": f"127.0.0.1:{closed_port},127.0.0.2",
            "ODOO_SESSION_REDIS_SENTINEL_PORT": str(closed_port),
            "ODOO_SESSION_REDIS_SENTINEL_MASTER_NAME": "main",
        }
    )
    sessions = sessions_from_config(settings)
    with pytest.raises(SessionStoreUnavailable) as error:
        sessions.ping()
    assert str(error.value) == (
        f"Redis session store at {sessions.address} is unreachable (no sentinel "
        f"names master 'main': 127.0.0.1:{closed_port}, 127.0.0.2:{closed_port}: "
        "Connection refused)"
    )


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"AWS_HOST": "http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "k",
          "AWS_SECRET_ACCESS_KEY": "s", "AWS_MAX_ATTEMPTS": "1"},
         "S3 unreachable for s3://bucket/ab/cd "
         "(Connection refused; endpoint http://127.0.0.1:{port})"),
        ({"SWIFT_AUTH_URL": "http://127.0.0.1:{port}/auth/v1.0",
          "SWIFT_AUTH_VERSION": "1.0", "SWIFT_ACCOUNT": "a:u", "SWIFT_PASSWORD": "p"},
         "Swift unreachable for swift://bucket/ab/cd "
         "(Connection refused; endpoint http://127.0.0.1:{port}/auth/v1.0)"),
        ({"AZURE_STORAGE_ACCOUNT_URL": "http://127.0.0.1:{port}/account",
          "AZURE_STORAGE_ACCOUNT_KEY": "a2V5", "AZURE_STORAGE_MAX_ATTEMPTS": "1"},
         "Azure unreachable for azure://bucket/ab/cd "
         "(Connection refused; endpoint http://127.0.0.1:{port}/account)"),
    ],
    ids=["s3", "swift", "azure"],
)  # fmt: skip
def test_an_object_store_unreachable_names_the_object_and_why(
    closed_port, environ, message
):
    environ = {name: value.format(port=closed_port) for name, value in environ.items()}
    scheme = message.split()[0].lower()
    store = Stores(load(environ)).get(scheme, "bucket")
    with pytest.raises(StorageUnavailable) as error:
        store.get("ab/cd")
    assert str(error.value) == message.format(port=closed_port)
