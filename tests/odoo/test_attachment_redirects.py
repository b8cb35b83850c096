"""Large private downloads offloaded to the object store
(``ATTACHMENT_STORAGE_REDIRECT``): after Odoo's access check, the browser is
sent to a short-lived signed URL of the store, which serves what plain Odoo
serves for the same record; everything else is still Odoo's answer.

Two servers share one database: one with the redirect off (the reference),
one with it on; with ``x-accel-redirect``, a third one behind nginx.
"""

import time

import in_odoo
import pytest
import requests
from object_storage_backends import set_location

from local_platform.nginx_server import Nginx
from local_platform.odoo_server import servers_started
from local_platform.process import running
from odoo_cloud.storage.redirect import PROXY_HEADER
from odoo_cloud.storage.swift.store import disposition_parts

TTL = 3  # seconds: long enough to follow the redirect, short enough to wait out
REDIRECTED = ["/web/content/{id}", "/web/content/{id}?download=true"]
# Served by Odoo as before: (record, path)
SERVED_BY_ODOO = {
    "small": ("small", "/web/content/{id}"),
    "public": ("public", "/web/content/{id}"),
    "immutable": ("large", "/web/content/{id}?unique=1"),
    "immutable download": ("large", "/web/content/{id}?unique=1&download=true"),
}


@pytest.fixture(scope="module")
def records(odoo, odoo_database, backend):
    database = odoo_database([f"attachment_{backend.scheme}"])
    set_location(odoo, database, backend.scheme)
    created = odoo.call(database, in_odoo.create_redirect_records, env=backend.env)
    for record in created.values():
        assert record["store_fname"].startswith(f"{backend.scheme}://"), record
    return database, created


@pytest.fixture(scope="module")
def servers(odoo, records, backend, tmp_path_factory):
    """The reference server (redirect off) and the redirecting one."""
    database, _created = records
    logs = tmp_path_factory.mktemp(f"redirects-{backend.scheme}")
    redirect = {
        "ATTACHMENT_STORAGE_REDIRECT": "signed-url",
        "ATTACHMENT_STORAGE_REDIRECT_TTL": str(TTL),
    }
    with servers_started(odoo, logs) as start:
        plain = start(database, env=backend.env)
        redirecting = start(database, env={**backend.env, **redirect})
        yield plain, redirecting


def url(server, records, record, path):
    return server.url + path.format(id=records[1][record]["id"])


def headers(reply):
    """A reply's headers, but those of the clock and of the session."""
    differing = {"Date", "Expires", "Set-Cookie"}
    return {
        name: value for name, value in reply.headers.items() if name not in differing
    }


def same_disposition(backend, got, expected):
    """S3 answers Odoo's Content-Disposition; Swift spells the same type and
    file name its own way (``filename*``)."""
    if backend.scheme == "swift":
        return disposition_parts(got) == disposition_parts(expected)
    return got == expected


@pytest.mark.parametrize("path", REDIRECTED)
def test_a_large_private_download_is_redirected_to_the_store(
    servers, records, backend, path
):
    plain, redirecting = servers
    reference = plain.login().get(url(plain, records, "large", path), timeout=60)
    assert reference.status_code == 200

    session = redirecting.login()
    reply = session.get(
        url(redirecting, records, "large", path), allow_redirects=False, timeout=60
    )
    assert reply.status_code == 302 and reply.content == b""
    assert reply.headers["Cache-Control"] == "no-store"
    signed = reply.headers["Location"]
    assert not signed.startswith(redirecting.url)

    target = requests.get(signed, timeout=60)  # no cookie, no credentials
    assert target.status_code == 200
    assert target.content == reference.content
    assert target.headers["Content-Type"] == reference.headers["Content-Type"]
    assert same_disposition(
        backend,
        target.headers["Content-Disposition"],
        reference.headers["Content-Disposition"],
    )
    assert disposition_parts(reference.headers["Content-Disposition"])[1] == (
        "résumé 2026.pdf"
    )
    part = session.get(
        url(redirecting, records, "large", path),
        headers={"Range": "bytes=100-199"},
        timeout=60,
    )
    assert part.status_code == 206 and part.content == reference.content[100:200]


@pytest.mark.parametrize("case", SERVED_BY_ODOO)
def test_odoo_keeps_serving_small_public_and_cacheable_downloads(
    servers, records, case
):
    plain, redirecting = servers
    record, path = SERVED_BY_ODOO[case]
    reference = plain.login().get(url(plain, records, record, path), timeout=60)
    reply = redirecting.login().get(
        url(redirecting, records, record, path), allow_redirects=False, timeout=60
    )
    assert reference.status_code == reply.status_code == 200
    assert "Location" not in reply.headers
    assert reply.content == reference.content
    assert headers(reply) == headers(reference)


def test_a_conditional_request_is_still_answered_304_by_odoo(servers, records):
    _plain, redirecting = servers
    session = redirecting.login()
    large = url(redirecting, records, "large", "/web/content/{id}")
    etag = session.get(f"{large}?unique=1", timeout=60).headers["ETag"]
    reply = session.get(
        large, headers={"If-None-Match": etag}, allow_redirects=False, timeout=60
    )
    assert reply.status_code == 304 and "Location" not in reply.headers


@pytest.mark.parametrize("user", ["portal", "public"])
def test_a_user_without_access_gets_odoos_answer_and_no_url(servers, records, user):
    plain, redirecting = servers

    def session(server):
        return server.login(user, user) if user == "portal" else requests.Session()

    path = "/web/content/{id}?download=true"
    reference = session(plain).get(
        url(plain, records, "large", path), allow_redirects=False, timeout=60
    )
    reply = session(redirecting).get(
        url(redirecting, records, "large", path), allow_redirects=False, timeout=60
    )
    assert reference.status_code in (403, 404)
    assert reply.status_code == reference.status_code
    assert "Location" not in reply.headers


def test_the_signed_url_is_refused_once_expired(servers, records):
    _plain, redirecting = servers
    reply = redirecting.login().get(
        url(redirecting, records, "large", "/web/content/{id}"),
        allow_redirects=False,
        timeout=60,
    )
    signed = reply.headers["Location"]
    time.sleep(TTL + 1.5)
    assert requests.get(signed, timeout=60).status_code in (401, 403)


def test_behind_nginx_the_download_leaves_odoo_with_its_headers(
    odoo, odoo_server, servers, records, backend, tmp_path
):
    plain, _redirecting = servers
    path = "/web/content/{id}?download=true"
    reference = plain.login().get(url(plain, records, "large", path), timeout=60)
    offloading = odoo_server(
        records[0],
        env={**backend.env, "ATTACHMENT_STORAGE_REDIRECT": "x-accel-redirect"},
    )
    # Reached directly, or through a proxy serving another location, Odoo
    # serves the file itself: an X-Accel-Redirect answer has no body.
    for proxy_says in ({}, {PROXY_HEADER: "/elsewhere/"}):
        direct = offloading.login().get(
            url(offloading, records, "large", path), headers=proxy_says, timeout=60
        )
        assert direct.status_code == 200 and direct.content == reference.content
        assert "X-Accel-Redirect" not in direct.headers
    served_by_odoo = "not offloaded with X-Accel-Redirect"
    log = offloading.log()
    assert f"{served_by_odoo}: the request did not come through a proxy" in log
    assert "the proxy in front serves '/elsewhere/'" in log

    with running(Nginx(tmp_path, offloading.url)) as nginx:
        session = offloading.login()
        reply = session.get(url(nginx, records, "large", path), timeout=60)
        part = session.get(
            url(nginx, records, "large", path),
            headers={"Range": "bytes=100-199"},
            timeout=60,
        )
        small = session.get(url(nginx, records, "small", path), timeout=60)
    assert offloading.log().count(served_by_odoo) == log.count(served_by_odoo)
    assert reply.status_code == 200 and reply.content == reference.content
    for name in ("Content-Type", "Content-Disposition", "Cache-Control"):
        assert reply.headers[name] == reference.headers[name], name
    assert "X-Accel-Redirect" not in reply.headers
    assert part.status_code == 206 and part.content == reference.content[100:200]
    assert small.status_code == 200 and "X-Accel-Redirect" not in small.headers
