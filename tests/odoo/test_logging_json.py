"""logging_json on a real odoo-bin: prefork, two workers, JSON on stderr and in
``--logfile``, and the failure modes (a failing controller, a wrong password,
secrets in headers and messages) made to happen over HTTP.

The requests of a scenario run against one server; the tests then read the
whole log it wrote, once the server has stopped.
"""

import json
import re

import pytest
import requests

from local_platform.odoo_server import REPO, servers_started

pytestmark = pytest.mark.usefixtures("odoo_tree")

LOAD = ("base", "web", "logging_json")
SECRETS = {
    "wrong password": "wrong-password-5e1f",
    "cookie": "cookie-secret-81b2",
    "bearer token": "bearer-secret-93c4",
    "password in a message": "logged-password-c5d6",
    "suite secret variable": "swift-secret-d7e8",
}
JSON_ENV = {
    "ODOO_LOGGING_JSON": "1",
    "SWIFT_PASSWORD": SECRETS["suite secret variable"],
}
# Odoo's text format: '<date> <time>,<ms> <pid> <LEVEL> <db> <logger>: <message>'.
TEXT_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (\d+) [A-Z]+ \S+ \S+: ")
# What a starting process writes to stderr before Odoo sets up logging.
PRE_LOGGING = re.compile(
    r"Running as user 'root' is a security risk\.$|\S+:\d+: \w*Warning: |  \S"
)
ENABLED = "JSON logs enabled"


@pytest.fixture(scope="module")
def probe_database(odoo_database):
    return odoo_database(["logging_json_probe"])


@pytest.fixture(scope="module")
def start_server(odoo, probe_database, tmp_path_factory):
    """Factory: a prefork server (2 workers) on the probe database, stopped
    at the end of the module."""
    with servers_started(odoo, tmp_path_factory.mktemp("odoo")) as start:
        yield lambda env, **options: start(probe_database, LOAD, env=env, **options)


def authenticate(session, server, password="admin"):
    params = {"db": server.database, "login": "admin", "password": password}
    return server.jsonrpc("/web/session/authenticate", params, session)


def parse_lines(text):
    """Each line as its JSON object, or None for a line that is not JSON."""
    parsed = []
    for line in text.splitlines():
        try:
            parsed.append(json.loads(line))
        except ValueError:
            parsed.append(None)
    return parsed


def text_lines_after_json(text):
    """Lines that are not JSON although their process already writes JSON.

    Each Odoo process (the prefork master, then the gevent process it starts)
    writes a few lines before it loads the server-wide modules: odoo-bin's
    warning about root, Python warnings raised by imports, then its
    configuration in Odoo's text format. From then on, every line of that
    process must be JSON.
    """
    json_pids, offenders = set(), []
    for line, parsed in zip(text.splitlines(), parse_lines(text), strict=True):
        if isinstance(parsed, dict):
            json_pids.add(parsed["pid"])
            continue
        match = TEXT_LINE.match(line)
        if (match and int(match[1]) not in json_pids) or PRE_LOGGING.match(line):
            continue
        offenders.append(line)
    return offenders


@pytest.fixture(scope="module")
def scenario(start_server):
    """Run every request against a JSON-logging server; return what they
    answered and the whole log, read after the server stopped."""
    server = start_server(JSON_ENV)
    answers = {}
    with requests.Session() as session:
        authenticate(session, server)
        answers["rpc"] = server.jsonrpc(
            "/web/dataset/call_kw/res.partner/search_read",
            {
                "model": "res.partner",
                "method": "search_read",
                "args": [[]],
                "kwargs": {"fields": ["name"], "limit": 1},
            },
            session,
            headers={"X-Request-ID": "rpc-1"},
        )
    answers["probe"] = requests.get(
        f"{server.url}/logging_json_probe/log",
        params={
            "password": SECRETS["password in a message"],
            "note": f"swift answered {SECRETS['suite secret variable']}",
        },
        headers={
            "X-Request-ID": "abc",
            "Cookie": f"session_id={SECRETS['cookie']}",
            "Authorization": f"Bearer {SECRETS['bearer token']}",
        },
        timeout=60,
    )
    answers["fail"] = requests.get(f"{server.url}/logging_json_probe/fail", timeout=60)
    with requests.Session() as session:
        answers["wrong password"] = authenticate(
            session, server, SECRETS["wrong password"]
        )
    answers["no id"] = requests.get(f"{server.url}/web/login", timeout=60)
    server.stop()
    return answers, server.log()


@pytest.fixture(scope="module")
def log_lines(scenario):
    _, text = scenario
    return [line for line in parse_lines(text) if isinstance(line, dict)]


def test_every_line_after_the_module_loads_is_json(scenario):
    _, text = scenario
    assert ENABLED in text
    assert text_lines_after_json(text) == []


def test_access_line_of_an_authenticated_rpc_has_numbers_db_and_uid(
    odoo, scenario, log_lines, probe_database
):
    answers, _ = scenario
    assert answers["rpc"].json()["result"]
    (access,) = [
        line
        for line in log_lines
        if line.get("path") == "/web/dataset/call_kw/res.partner/search_read"
    ]
    assert access["logger"] == "werkzeug"
    assert (access["method"], access["status"]) == ("POST", 200)
    for field in ("duration_ms", "sql_count", "sql_time_ms"):
        assert isinstance(access[field], (int, float)), field
        assert not isinstance(access[field], bool), field
    assert access["sql_count"] > 0
    assert (access["db"], access["uid"], access["request_id"]) == (
        probe_database,
        2,
        "rpc-1",
    )
    # Since 19.0, Odoo's access line names the model and method called.
    if odoo.series != "18.0":
        assert access["rpc_method"] == "res.partner.search_read"


def test_x_request_id_is_echoed_and_on_every_line_of_its_request(scenario, log_lines):
    answers, _ = scenario
    assert answers["probe"].headers["X-Request-ID"] == "abc"
    of_request = [
        line
        for line in log_lines
        if line["message"].startswith("probe ")
        or line.get("path") == "/logging_json_probe/log"
    ]
    assert len(of_request) == 4
    assert all(line.get("request_id") == "abc" for line in of_request)
    # Nothing logged after the access line, the request's last, keeps the id.
    with_id = [line for line in log_lines if line.get("request_id") == "abc"]
    assert {line["pid"] for line in with_id} == {of_request[0]["pid"]}
    assert with_id[-1] == of_request[-1]
    assert with_id[-1]["logger"] == "werkzeug"


def test_a_request_without_id_gets_a_generated_one(scenario, log_lines):
    answers, _ = scenario
    generated = answers["no id"].headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    (access,) = [
        line
        for line in log_lines
        if line.get("request_id") == generated and line["logger"] == "werkzeug"
    ]
    assert access["path"] == "/web/login"


def test_a_controller_exception_is_logged_with_type_and_stack(scenario, log_lines):
    answers, _ = scenario
    assert answers["fail"].status_code == 500
    (error,) = [line for line in log_lines if line.get("error_type")]
    assert error["level"] == "ERROR"
    assert error["error_type"] == "ValueError"
    assert error["error_message"] == "the probe failed on purpose"
    assert error["error_stack"].startswith("Traceback (most recent call last)")
    assert "raise ValueError" in error["error_stack"]


def test_wrong_password_login_fails(scenario, log_lines):
    answers, _ = scenario
    assert answers["wrong password"].json()["error"]
    assert any("Login failed" in line["message"] for line in log_lines)


@pytest.mark.parametrize("secret", sorted(SECRETS))
def test_no_secret_reaches_the_log(scenario, secret):
    _, text = scenario
    assert SECRETS[secret] not in text


def test_the_logfile_is_json_too(start_server, tmp_path):
    logfile = tmp_path / "odoo.log"
    server = start_server(JSON_ENV, args=("--logfile", str(logfile)))
    requests.get(f"{server.url}/logging_json_probe/fail", timeout=60)
    server.stop()
    text = logfile.read_text()
    assert ENABLED in text
    assert text_lines_after_json(text) == []
    assert any(line and line.get("error_type") for line in parse_lines(text))


def test_the_launcher_writes_odoo_s_first_lines_in_json_too(start_server):
    server = start_server(JSON_ENV, program=REPO / "logging_json" / "launcher.py")
    requests.get(f"{server.url}/web/login", timeout=60)
    server.stop()
    lines = server.log().splitlines()
    parsed = parse_lines("\n".join(lines))
    assert [
        line
        for line, record in zip(lines, parsed, strict=True)
        if record is None and not PRE_LOGGING.match(line)
    ] == []
    messages = [record["message"] for record in parsed if record]
    assert any(message.startswith("Odoo version") for message in messages)
    assert any(message.startswith("addons paths") for message in messages)


def test_without_odoo_logging_json_output_is_odoo_s_text(start_server):
    server = start_server({})
    requests.get(f"{server.url}/logging_json_probe/fail", timeout=60)
    server.stop()
    text = server.log()
    assert ENABLED not in text
    assert all(line is None for line in parse_lines(text))
    assert re.search(
        TEXT_LINE.pattern + r"Exception during request handling", text, re.M
    )
