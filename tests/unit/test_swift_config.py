"""The Swift settings, and what of them reaches keystone and swiftclient.

Keystone cannot run here: a fake one, an HTTP server in this process, records
the logins and answers with a catalog of two regions. Tempauth is tested
against a real Swift (tests/integration/test_swift_store.py).
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from swiftclient.exceptions import ClientException

from odoo_cloud import config
from odoo_cloud.config import ConfigError, load, parse
from odoo_cloud.storage import (
    ObjectNotFound,
    StorageError,
    StorageUnavailable,
    Stores,
)
from odoo_cloud.storage.swift.store import client_from_config, translated_errors
from odoo_cloud.variable import port

KEYSTONE = {
    "SWIFT_ACCOUNT": "odoo",
    "SWIFT_PASSWORD": "s3cr3t",
    "SWIFT_PROJECT_NAME": "acme",
    "SWIFT_REGION_NAME": "SBG",
    "SWIFT_WRITE_CONTAINER": "acme-odoo-{db}",
}
ENDPOINTS = {"GRA": "https://gra.example/v1/AUTH_acme",
             "SBG": "https://sbg.example/v1/AUTH_acme"}  # fmt: skip
EXPIRES = "2099-01-01T00:00:00.000000Z"


class FakeKeystone(BaseHTTPRequestHandler):
    """Answers keystone's v3 and v2.0 password logins; each login's JSON
    body lands in ``server.logins``."""

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.logins.append((self.path, body))
        token = f"token-{len(self.server.logins)}"
        if self.path == "/v3/auth/tokens":
            endpoints = [{"id": region, "interface": "public", "region": region,
                          "region_id": region, "url": url}
                         for region, url in ENDPOINTS.items()]  # fmt: skip
            reply = {"token": {
                "expires_at": EXPIRES, "methods": ["password"],
                "user": {"id": "u", "name": "odoo", "domain": {"id": "d"}},
                "project": {"id": "p", "name": "acme", "domain": {"id": "d"}},
                "catalog": [{"type": "object-store", "endpoints": endpoints}],
            }}  # fmt: skip
            headers = {"X-Subject-Token": token}
        else:
            endpoints = [{"region": region, "publicURL": url}
                         for region, url in ENDPOINTS.items()]  # fmt: skip
            reply = {"access": {
                "token": {"id": token, "expires": EXPIRES, "tenant": {"id": "p"}},
                "user": {"id": "u", "name": "odoo"},
                "serviceCatalog": [{"type": "object-store", "endpoints": endpoints}],
            }}  # fmt: skip
            headers = {}
        payload = json.dumps(reply).encode()
        self.send_response(201 if headers else 200)
        for name, value in {**headers, "Content-Type": "application/json",
                            "Content-Length": str(len(payload))}.items():  # fmt: skip
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def keystone():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeKeystone)
    server.logins = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()


def test_defaults():
    settings = load({})
    assert settings["SWIFT_AUTH_VERSION"] == "3"
    assert settings["SWIFT_USER_DOMAIN_NAME"] == "Default"
    assert settings["SWIFT_PROJECT_DOMAIN_NAME"] == "Default"
    assert settings["SWIFT_CONNECT_TIMEOUT"] == 5
    assert settings["SWIFT_READ_TIMEOUT"] == 60
    assert settings["SWIFT_LARGE_OBJECT_SIZE"] == 2**30
    assert settings["SWIFT_SEGMENT_SIZE"] == 2**30


def test_keystone_v3_login_and_region_reach_swiftclient(keystone):
    environ = {**KEYSTONE, "SWIFT_AUTH_URL": f"{keystone.url}/v3",
               "SWIFT_USER_DOMAIN_NAME": "users"}  # fmt: skip
    client = client_from_config(load(environ))
    assert client.credentials() == (ENDPOINTS["SBG"], "token-1")
    ((path, body),) = keystone.logins
    assert path == "/v3/auth/tokens"
    assert body["auth"]["identity"]["password"]["user"] == {
        "name": "odoo",
        "password": "s3cr3t",
        "domain": {"name": "users"},
    }
    assert body["auth"]["scope"]["project"] == {
        "name": "acme",
        "domain": {"name": "Default"},
    }


def test_keystone_v2_takes_the_tenant_under_its_old_name(keystone):
    environ = {**KEYSTONE, "SWIFT_AUTH_VERSION": "2.0",
               "SWIFT_AUTH_URL": f"{keystone.url}/v2.0", "SWIFT_REGION_NAME": "GRA",
               "SWIFT_PROJECT_NAME": "", "SWIFT_TENANT_NAME": "legacy"}  # fmt: skip
    assert client_from_config(load(environ)).credentials() == (
        ENDPOINTS["GRA"],
        "token-1",
    )
    ((path, body),) = keystone.logins
    assert path == "/v2.0/tokens"
    assert body["auth"] == {
        "tenantName": "legacy",
        "passwordCredentials": {"username": "odoo", "password": "s3cr3t"},
    }


def test_one_login_until_a_token_is_refused(keystone):
    environ = {**KEYSTONE, "SWIFT_AUTH_URL": f"{keystone.url}/v3"}
    client = client_from_config(load(environ))
    client.credentials()
    client.credentials()
    assert len(keystone.logins) == 1
    assert client.renew("token-1") == (ENDPOINTS["SBG"], "token-2")
    assert client.renew("token-1") == (ENDPOINTS["SBG"], "token-2")  # already new
    assert len(keystone.logins) == 2
    assert client.timeout == (5, 60)  # the Swift requests' (connect, read)


def test_an_unreachable_keystone_is_an_outage():
    environ = {**KEYSTONE, "SWIFT_AUTH_URL": "http://127.0.0.1:9/v3"}
    store = Stores(load(environ)).get("swift", "acme-odoo-prod")
    with pytest.raises(StorageUnavailable, match="swift://acme-odoo-prod/ab/cd"):
        store.get("ab/cd")


def test_tenant_name_is_the_old_name_of_project_name():
    settings = load({"SWIFT_TENANT_NAME": "old"})
    assert settings["SWIFT_PROJECT_NAME"] == "old"
    assert settings.source("SWIFT_PROJECT_NAME") == "env SWIFT_TENANT_NAME"
    both = load({"SWIFT_TENANT_NAME": "old", "SWIFT_PROJECT_NAME": "new"})
    assert both["SWIFT_PROJECT_NAME"] == "new"
    assert both.source("SWIFT_PROJECT_NAME") == "env"
    assert "| `SWIFT_PROJECT_NAME` (old name `SWIFT_TENANT_NAME`) |" in (
        config.reference()
    )


def test_a_bad_value_under_an_old_name_is_reported_under_that_name(monkeypatch):
    variable = config.Variable("NEW_PORT", port, 1, group="demo", aliases=("OLD",))
    monkeypatch.setattr(config, "catalogue", lambda: (variable,))
    _, problems = parse({"OLD": "http"})
    assert list(map(str, problems)) == [
        "OLD='http' is not a TCP/UDP port number (1-65535)"
    ]
    with pytest.raises(ConfigError, match="OLD='http'"):
        load({"OLD": "http"}, groups=("demo",))
    assert load({"OLD": "http", "NEW_PORT": "8"})["NEW_PORT"] == 8


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"SWIFT_AUTH_VERSION": "4"}, "SWIFT_AUTH_VERSION='4' must be one of 1.0"),
        ({"SWIFT_SEGMENT_SIZE": "1000"}, "SWIFT_SEGMENT_SIZE='1000' must be a"),
        ({"SWIFT_LARGE_OBJECT_SIZE": "6e9"}, "SWIFT_LARGE_OBJECT_SIZE='6e9' is not"),
        ({"SWIFT_READ_TIMEOUT": "0"}, "SWIFT_READ_TIMEOUT='0' must be"),
    ],
)
def test_bad_values_are_refused_naming_the_variable(environ, message):
    with pytest.raises(ConfigError, match=message):
        load(environ, groups=("swift",))


def test_the_write_container_expands_db():
    stores = Stores(load({"SWIFT_WRITE_CONTAINER": "acme-odoo-{db}"}))
    assert stores.write_bucket("swift", "prod") == "acme-odoo-prod"
    with pytest.raises(StorageError, match="SWIFT_WRITE_CONTAINER is not set"):
        Stores(load({})).write_bucket("swift", "prod")


WHERE = "swift://c/ab/cd"


@pytest.mark.parametrize(
    ("error", "login", "expected"),
    [
        (ClientException("gone", http_status=404), False, ObjectNotFound),
        (ClientException("down", http_status=503), False, StorageUnavailable),
        (ClientException("slow down", http_status=429), False, StorageUnavailable),
        (ClientException("no", http_status=403), False, StorageError),
        (ClientException("no such auth", http_status=404), True, StorageError),
        (ClientException("no keystoneclient"), True, StorageError),
        (requests.exceptions.ConnectionError("refused"), False, StorageUnavailable),
        (requests.exceptions.ReadTimeout("timed out"), True, StorageUnavailable),
    ],
)
def test_errors_translate_naming_the_object(error, login, expected):
    with (
        pytest.raises(StorageError, match=WHERE) as raised,
        translated_errors(WHERE, "https://swift.example.com", login=login),
    ):
        raise error
    assert type(raised.value) is expected
