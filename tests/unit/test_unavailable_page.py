"""The 503 of an outage: a page a person can read, a line a program can."""

import io

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from odoo_cloud.errors import SessionStoreUnavailable, StorageUnavailable
from odoo_cloud.unavailable_page import (
    DISCARD_LIMIT,
    RETRY_AFTER_SECONDS,
    UnavailableResponse,
    unavailable_response,
)

RESPONSE = UnavailableResponse("the <session> store")


def answer(method="GET", content_type=None):
    environ = {"REQUEST_METHOD": method, "PATH_INFO": "/web/login"}
    if content_type:
        environ["CONTENT_TYPE"] = content_type
    started = []
    body = RESPONSE(environ, lambda status, headers: started.append((status, headers)))
    [(status, headers)] = started
    return status, dict(headers), b"".join(body).decode()


def test_a_browser_gets_a_page_that_needs_nothing_else_from_the_server():
    status, headers, body = answer()
    assert status == "503 Service Unavailable"
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert headers["Cache-Control"] == "no-store"
    assert headers["Content-Length"] == str(len(body.encode()))
    assert body.startswith("<!DOCTYPE html>") and "<style>" in body
    for outside in ("<script", "<link", "<img", "src=", "href=", "url(", "@import"):
        assert outside not in body
    assert "unavailable for a moment and will be back shortly" in body
    assert "Reason: the &lt;session&gt; store does not answer." in body


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "application/json-rpc"],
)
def test_a_json_request_gets_one_line_of_text(content_type):
    status, headers, body = answer("POST", content_type)
    assert status == "503 Service Unavailable"
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    assert headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert body == (
        "Service unavailable: the <session> store does not answer. Retry shortly.\n"
    )


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "text/xml", None]
)
def test_a_form_an_xml_rpc_call_or_a_plain_get_gets_the_page(content_type):
    assert answer("POST", content_type)[2].startswith("<!DOCTYPE html>")


def test_a_head_request_gets_the_headers_only():
    _, headers, body = answer("HEAD")
    assert body == ""
    assert int(headers["Content-Length"]) > 0


@pytest.mark.parametrize(
    ("size", "unread"), [(3_000_000, 0), (DISCARD_LIMIT + 1, DISCARD_LIMIT - 999)]
)
def test_the_unread_body_is_read_before_the_answer_up_to_a_limit(size, unread):
    body = io.BytesIO(bytes(size))
    environ = EnvironBuilder(method="POST", input_stream=body).get_environ()
    environ["CONTENT_LENGTH"] = str(size)
    Request(environ).stream.read(1000)  # what Odoo read itself
    UnavailableResponse("the session store")(environ, lambda *args: None)
    assert size - body.tell() == unread


def test_an_unavailable_store_is_answered_the_page_naming_it():
    application = unavailable_response(SessionStoreUnavailable("redis", OSError()))
    assert application.reason == "the session store"
    assert unavailable_response(StorageUnavailable("down")).reason == (
        "the file storage"
    )


def test_odoo_s_json_error_is_kept_as_a_503_any_other_answer_gives_way():
    error = StorageUnavailable("down")
    odoo_json = Response('{"error": {}}', mimetype="application/json")
    kept = unavailable_response(error, odoo_json)
    assert kept is odoo_json
    assert kept.status_code == 503
    assert kept.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert kept.headers["Cache-Control"] == "no-store"
    page = Response("<p>error</p>", mimetype="text/html")
    assert isinstance(unavailable_response(error, page), UnavailableResponse)
    assert page.status_code == 200
