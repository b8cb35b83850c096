"""The JSON formatter, redaction and request id of ``odoo_cloud.logs``.

These tests import only the standard library, pytest and the core, so that
``test_logs_pjl_versions.py`` can run them under another python-json-logger.
"""

import datetime
import json
import logging
import sys
import threading

import pytest

from odoo_cloud import logs
from odoo_cloud.config import MASK, load
from odoo_cloud.metrics.probes import ProbeAccessLines

PASSWORD = "hunter2-secret-value"


def make_record(msg, *args, name="odoo.test", level=logging.INFO, **attributes):
    record = logging.LogRecord(name, level, "/x.py", 1, msg, args, None)
    record.__dict__.update(attributes)
    return record


def exc_record(exception):
    try:
        raise exception
    except Exception:
        return logging.getLogger("odoo.test").makeRecord(
            "odoo.test", logging.ERROR, "/x.py", 1, "failed", (), sys.exc_info()
        )


def emit(formatter, record):
    line = formatter.format(record)
    assert "\n" not in line
    return json.loads(line)


@pytest.fixture
def formatter():
    return logs.JsonFormatter(environment="test")


@pytest.fixture(autouse=True)
def no_request():
    logs.end_request()
    yield
    logs.end_request()


def test_a_record_has_the_documented_fields(formatter):
    record = make_record("hello %s", "world")
    record.created, record.msecs = 1714564800.1239, 123.9
    line = emit(formatter, record)
    assert line == {
        "timestamp": "2024-05-01T12:00:00.123Z",
        "level": "INFO",
        "logger": "odoo.test",
        "message": "hello world",
        "pid": record.process,
        "env": "test",
    }


def test_context_fields_and_request_id_are_added(formatter):
    formatter.context = lambda: {"db": "prod", "uid": 2}
    logs.start_request("abc")
    line = emit(formatter, make_record("x"))
    assert (line["db"], line["uid"], line["request_id"]) == ("prod", 2, "abc")


def test_extra_fields_are_kept(formatter):
    line = emit(formatter, make_record("x", order_id=42, tags=["a"]))
    assert (line["order_id"], line["tags"]) == (42, ["a"])


def test_exception_type_message_and_stack_are_fields(formatter):
    line = emit(formatter, exc_record(KeyError("missing")))
    assert line["error_type"] == "KeyError"
    assert line["error_message"] == "'missing'"
    assert line["error_stack"].startswith("Traceback (most recent call last)")
    assert "KeyError: 'missing'" in line["error_stack"]


def test_exception_type_is_qualified_outside_builtins(formatter):
    line = emit(formatter, exc_record(json.JSONDecodeError("bad", "", 0)))
    assert line["error_type"] == "json.decoder.JSONDecodeError"


def test_ecs_names():
    formatter = logs.JsonFormatter(scheme="ecs", environment="prod")
    logs.start_request("abc")
    line = emit(formatter, make_record("x", duration_ms=1.5))
    assert line["log.level"] == "INFO"
    assert line["service.environment"] == "prod"
    assert line["http.request.id"] == "abc"
    assert line["event.duration"] == 1_500_000
    assert line["ecs.version"] == logs.ECS_VERSION
    assert "@timestamp" in line and "timestamp" not in line


def test_unknown_scheme_is_refused():
    with pytest.raises(ValueError, match="naming scheme"):
        logs.JsonFormatter(scheme="gelf")


def test_scheme_and_environment_come_from_the_config():
    config = load(
        {"ODOO_LOGGING_JSON_FIELDS": "ECS", "RUNNING_ENV": "integration"},
    )
    formatter = logs.formatter_from_config(config)
    assert (formatter.scheme, formatter.environment) == ("ecs", "integration")


# --- access lines ------------------------------------------------------------


def access_record(request_line, status="200", size="1234", **attributes):
    return make_record(
        '127.0.0.1 - - [01/May/2024 12:00:00] "%s" %s %s\n',
        request_line,
        status,
        size,
        name="werkzeug",
        **attributes,
    )


def test_access_line_is_split_into_fields(formatter):
    record = access_record(
        "POST /web/dataset/call_kw?x=1 HTTP/1.1",
        duration_ms=12.5,
        sql_count=3,
        sql_time_ms=1.25,
    )
    line = emit(formatter, record)
    assert line["message"].endswith('"POST /web/dataset/call_kw?x=1 HTTP/1.1" 200 1234')
    assert {k: line[k] for k in ("method", "path", "query", "status", "size")} == {
        "method": "POST",
        "path": "/web/dataset/call_kw",
        "query": "x=1",
        "status": 200,
        "size": 1234,
    }
    assert (line["duration_ms"], line["sql_count"], line["sql_time_ms"]) == (
        12.5,
        3,
        1.25,
    )
    assert (line["remote_addr"], line["protocol"]) == ("127.0.0.1", "HTTP/1.1")


def test_the_rpc_method_odoo_appends_to_the_path_is_a_field_of_its_own(formatter):
    record = access_record("POST /web/dataset/call_kw?x=1#res.partner.read HTTP/1.1")
    line = emit(formatter, record)
    assert (line["path"], line["query"]) == ("/web/dataset/call_kw", "x=1")
    assert line["rpc_method"] == "res.partner.read"
    ecs = emit(logs.JsonFormatter(scheme="ecs"), record)
    assert (ecs["url.path"], ecs["odoo.rpc.method"]) == (
        "/web/dataset/call_kw",
        "res.partner.read",
    )


def test_access_line_with_ansi_styles(formatter):
    line = emit(formatter, access_record("\x1b[33mGET /missing HTTP/1.1\x1b[0m", "404"))
    assert (line["path"], line["status"]) == ("/missing", 404)
    assert "\x1b" not in line["message"]


def test_another_werkzeug_line_is_not_an_access_line(formatter):
    line = emit(formatter, make_record("Press CTRL+C to quit", name="werkzeug"))
    assert "status" not in line


@pytest.mark.parametrize(
    ("request_line", "status", "logged"),
    [
        ("GET /health/ready HTTP/1.1", "200", False),
        ("HEAD /health/live HTTP/1.1", "200", False),
        ("GET /metrics HTTP/1.1", "200", False),
        ("GET /web/health?x=1 HTTP/1.1", "200", False),
        ("GET /health/ready HTTP/1.1", "503", True),
        ("GET /metrics HTTP/1.1", "401", True),
        ("GET /health/readiness HTTP/1.1", "200", True),
        ("POST /web/dataset/call_kw#res.partner.read HTTP/1.1", "200", True),
    ],
)
def test_successful_probes_stay_out_of_the_access_log(request_line, status, logged):
    assert ProbeAccessLines().filter(access_record(request_line, status)) is logged
    assert ProbeAccessLines().filter(make_record("Press CTRL+C to quit"))


# --- redaction ---------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        f"login failed password={PASSWORD}",
        f"params {{'login': 'admin', 'password': '{PASSWORD}'}}",
        f'body {{"new_password": "{PASSWORD}", "db": "x"}}',
        f"GET /web/login?login=a&password={PASSWORD}&redirect=/",
        f"Authorization: Bearer {PASSWORD}",
        f"headers {{'Authorization': 'Basic {PASSWORD}', 'Host': 'x'}}",
        f"Cookie: session_id={PASSWORD}; frontend_lang=en_US",
        f"headers {{'Cookie': 'session_id={PASSWORD}; tz=UTC'}}",
        f"connecting to redis://user:{PASSWORD}@redis:6379/0",
        f"calling with token: {PASSWORD}",
        f"api_key={PASSWORD}",
    ],
)
def test_secrets_in_messages_are_masked(formatter, message):
    line = emit(formatter, make_record("%s", message))
    assert PASSWORD not in json.dumps(line)
    assert MASK in line["message"]


def test_masking_keeps_the_rest_of_the_message(formatter):
    line = emit(formatter, make_record("password=%s for login=%s", PASSWORD, "bob"))
    assert line["message"] == f"password={MASK} for login=bob"


@pytest.mark.parametrize(
    "message",
    [
        "mail from admin@example.com at 12:30",
        "swift://container/key@1 in https://host:443/path",
        "sentinels 10.0.0.1:26379,10.0.0.2:26379",
    ],
)
def test_what_only_looks_like_user_info_is_kept(formatter, message):
    assert emit(formatter, make_record("%s", message))["message"] == message


def test_secret_variables_are_masked_wherever_they_appear():
    config = load({"SWIFT_PASSWORD": "s3cr3t-swift", "AWS_SECRET_ACCESS_KEY": "AKX"})
    formatter = logs.formatter_from_config(config)
    line = emit(formatter, make_record("swift said s3cr3t-swift, s3 said AKX"))
    assert line["message"] == f"swift said {MASK}, s3 said {MASK}"


def test_secrets_in_extra_fields_are_masked(formatter):
    record = make_record(
        "request",
        headers={"Cookie": "sid=1", "Accept": "*/*"},
        params=[{"password": PASSWORD}],
        note=f"password={PASSWORD}",
    )
    line = emit(formatter, record)
    assert line["headers"] == {"Cookie": MASK, "Accept": "*/*"}
    assert line["params"] == [{"password": MASK}]
    assert PASSWORD not in json.dumps(line)


def test_secrets_in_a_dict_message_are_masked(formatter):
    line = emit(formatter, make_record({"event": "login", "password": PASSWORD}))
    assert (line["event"], line["password"]) == ("login", MASK)


def test_secrets_in_exceptions_are_masked(formatter):
    line = emit(formatter, exc_record(ValueError(f"bad password={PASSWORD}")))
    assert PASSWORD not in json.dumps(line)
    assert line["error_message"] == f"bad password={MASK}"


def test_secrets_in_the_query_of_an_access_line_are_masked(formatter):
    line = emit(
        formatter, access_record(f"GET /web/login?password={PASSWORD} HTTP/1.1")
    )
    assert line["query"] == f"password={MASK}"
    assert PASSWORD not in json.dumps(line)


# --- never raises ------------------------------------------------------------


class Unprintable:
    def __repr__(self):
        raise RuntimeError("no repr")

    __str__ = __repr__


def test_unserialisable_values_are_written_and_marked(formatter):
    record = make_record(
        "x",
        when=datetime.datetime(2024, 5, 1, 12, 0),
        lock=threading.Lock(),
        raw=b"bytes",
        odd=Unprintable(),
    )
    line = emit(formatter, record)
    assert line["when"] == "2024-05-01T12:00:00"
    assert line["raw"] == "bytes"
    assert line["lock"].startswith("<unserialisable lock: <unlocked _thread.lock")
    assert line["odd"].startswith("<unserialisable Unprintable: <Unprintable with")


def test_a_circular_value_is_written_with_the_problem_noted(formatter):
    loop = []
    loop.append(loop)
    line = emit(formatter, make_record("x %s", "y", loop={"a": {"b": loop}}))
    assert line["message"] == "x y"
    # orjson says TypeError: Recursion limit reached.
    assert line["log_error"].startswith("could not format this record: TypeError")


def test_a_message_with_wrong_arguments_is_still_written(formatter):
    line = emit(formatter, make_record("%d items", "many"))
    assert line["message"] == "'%d items' % ('many',)"
    assert "TypeError" in line["log_error"]


def test_an_unprintable_message_is_still_written(formatter):
    line = emit(formatter, make_record(Unprintable()))
    assert "failing repr" in line["message"]


def test_a_failing_context_is_noted_not_raised(formatter):
    formatter.context = lambda: 1 / 0
    line = emit(formatter, make_record("still %s", "here"))
    assert line["message"] == "still here"
    assert "ZeroDivisionError" in line["log_error"]


def test_the_failure_line_masks_secrets_too(formatter):
    line = emit(formatter, make_record(f"password={PASSWORD} %d", "x"))
    assert PASSWORD not in json.dumps(line)


# --- request id --------------------------------------------------------------


def test_request_id_is_the_proxy_s_one():
    assert logs.request_id_from("abc-123") == "abc-123"


def test_request_id_falls_back_to_the_trace_id_of_traceparent():
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    assert logs.request_id_from(None, traceparent) == "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.mark.parametrize("header", [None, "", "a b", "x\nforged", "é", "a" * 129])
def test_request_id_is_generated_when_the_header_is_missing_or_unsafe(header):
    generated = logs.request_id_from(header, "00-" + "0" * 32 + "-" + "1" * 16 + "-01")
    assert len(generated) == 32 and generated != logs.request_id_from(header)


def test_lines_after_the_request_carry_no_stale_id(formatter):
    """A prefork worker serves its requests one after the other in the same
    thread: once a request ends, its id must not reach the next lines."""
    assert logs.start_request("first") == "first"
    assert emit(formatter, make_record("during"))["request_id"] == "first"
    logs.end_request()
    assert "request_id" not in emit(formatter, make_record("after"))
    logs.start_request()
    assert emit(formatter, make_record("next"))["request_id"] not in (None, "first")


def test_request_ids_of_concurrent_threads_do_not_mix(formatter):
    seen = {}
    barrier = threading.Barrier(2)

    def serve(name):
        logs.start_request(name)
        barrier.wait()
        seen[name] = emit(formatter, make_record("x"))["request_id"]
        logs.end_request()

    threads = [threading.Thread(target=serve, args=(n,)) for n in ("t1", "t2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {"t1": "t1", "t2": "t2"}


def test_install_sets_the_formatter_on_every_root_handler(formatter):
    logger = logging.getLogger("odoo_cloud.test.install")
    handlers = [logging.StreamHandler(), logging.NullHandler()]
    for handler in handlers:
        logger.addHandler(handler)
    try:
        logs.install(formatter, logger)
        assert [h.formatter for h in handlers] == [formatter, formatter]
    finally:
        for handler in handlers:
            logger.removeHandler(handler)
