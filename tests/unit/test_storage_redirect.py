"""Which downloads leave the Odoo worker for the object store, and the
internal URI nginx gets for one."""

from pathlib import Path

import pytest

from local_platform.nginx_server import OFFLOAD_LOCATION, PROXY_LINE
from odoo_cloud.config import load
from odoo_cloud.storage.redirect import offloaded, proxy_problem, x_accel_path

MB = 1024**2
ON = {"ATTACHMENT_STORAGE_REDIRECT": "signed-url"}
# A large private download answered 200 by Odoo, which the browser may not cache.
OFFLOADED = {
    "method": "GET",
    "status": 200,
    "size": 5 * MB,
    "public": False,
    "max_age": None,
}


def test_a_large_private_download_is_offloaded_once_the_setting_is_on():
    assert offloaded(load(ON), **OFFLOADED)
    assert offloaded(load(ON), **{**OFFLOADED, "status": 206})  # a Range request
    assert offloaded(load(ON), **{**OFFLOADED, "max_age": 0})
    assert offloaded(load({**ON, "ATTACHMENT_STORAGE_REDIRECT": "x-accel-redirect"}),
                     **OFFLOADED)  # fmt: skip
    assert not offloaded(load({}), **OFFLOADED)  # off by default


@pytest.mark.parametrize(
    "change",
    [
        {"size": MB - 1},  # below the 1 MiB default
        {"public": True},
        {"max_age": 31536000},  # cacheable: an immutable `unique` URL
        {"status": 304},  # Odoo answers conditional requests itself
        {"status": 404},
        {"method": "HEAD"},  # a signed GET URL refuses HEAD; it costs Odoo nothing
    ],
    ids=str,
)
def test_odoo_keeps_serving(change):
    assert not offloaded(load(ON), **{**OFFLOADED, **change})


def test_the_minimum_size_is_configurable():
    config = load({**ON, "ATTACHMENT_STORAGE_REDIRECT_MIN_SIZE": "100"})
    assert offloaded(config, **{**OFFLOADED, "size": 100})
    assert not offloaded(config, **{**OFFLOADED, "size": 99})


def test_x_accel_path_carries_the_whole_signed_url():
    url = "https://s3.example.com:9000/bucket/ab/abc?X-Amz-Signature=f00&b=1"
    assert x_accel_path("/object-storage/", url) == (
        "/object-storage/https/s3.example.com:9000/bucket/ab/abc"
        "?X-Amz-Signature=f00&b=1"
    )
    assert x_accel_path("/internal", "http://h/v1/AUTH_a/c/k") == (
        "/internal/http/h/v1/AUTH_a/c/k"
    )


@pytest.mark.parametrize(
    ("location", "header", "problem"),
    [
        (None, "/object-storage/", None),
        ("/internal/", "/internal", None),
        (None, None, "no X-Object-Storage-Location header"),
        (None, "/internal/", "serves '/internal/' (X-Object-Storage-Location)"),
    ],
)
def test_x_accel_redirect_needs_the_proxy_to_say_it_serves_the_location(
    location, header, problem
):
    env = {"ATTACHMENT_STORAGE_REDIRECT": "x-accel-redirect"}
    if location:
        env["ATTACHMENT_STORAGE_REDIRECT_LOCATION"] = location
    found = proxy_problem(load(env, groups=("attachments",)), header)
    assert found == problem if problem is None else problem in found


def test_the_docs_give_the_nginx_lines_the_tests_run():
    page = (Path(__file__).parents[2] / "docs" / "attachments.md").read_text()
    assert f"```nginx\n{OFFLOAD_LOCATION}\n```" in page
    assert f"```nginx\n{PROXY_LINE}\n```" in page
