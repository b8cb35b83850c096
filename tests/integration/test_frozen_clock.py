"""The object stores sign, date and time their requests with the real clock
while a test has frozen it (freezegun, which Odoo's ``freeze_time`` wraps)
years away: S3 refuses a request signed at another time, and a signed URL
must live the lifetime it is given from now."""

import email.utils
import os
import time
from datetime import UTC

import botocore.retries.bucket
import freezegun
import keystoneauth1._utils
import pytest
import requests
from harness.object_stores import BACKENDS, backend_store

DISPOSITION = "attachment; filename=frozen.pdf"
FROZEN = {"past": "2024-01-01 08:00:00", "future": "2041-06-01 12:00:00"}
YEAR = 365 * 24 * 3600
# moto's server checks no signature nor expiry; S3's are checked by Swift's s3api.
CHECKING_EXPIRY = [backend for backend in BACKENDS if backend != "s3-moto-server"]


@pytest.fixture(params=list(FROZEN.values()), ids=list(FROZEN))
def frozen(request):
    with freezegun.freeze_time(request.param):
        yield


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_method_works_under_a_frozen_clock(request, backend, frozen):
    store = backend_store(request, backend)  # its client made while frozen
    data = os.urandom(50_000)
    store.put("fz/one", data, "application/pdf")
    assert store.get("fz/one") == data
    body = store.open("fz/one", 10, 20)
    assert body.read() == data[10:20]
    body.close()
    assert store.head("fz/one").size == 50_000
    assert list(store.list("fz/")) == ["fz/one"]
    url = store.signed_url("fz/one", 60, "application/pdf", DISPOSITION)
    assert requests.get(url, timeout=30).content == data
    store.delete("fz/one")
    assert not store.exists("fz/one")


@pytest.mark.parametrize("backend", CHECKING_EXPIRY)
def test_a_url_signed_under_a_frozen_clock_lives_its_lifetime(request, backend):
    store = backend_store(request, backend)
    store.put("fz/short", b"short-lived", "application/pdf")
    with freezegun.freeze_time(FROZEN["future"]):
        url = store.signed_url("fz/short", 1, "application/pdf", DISPOSITION)
    assert requests.get(url, timeout=30).content == b"short-lived"
    time.sleep(2.5)  # expiries are whole seconds
    assert requests.get(url, timeout=30).status_code in (401, 403)


def test_retries_tokens_and_request_dates_follow_the_real_clock(request, frozen):
    for backend in ("s3-moto-server", "swift"):
        backend_store(request, backend).exists("fz/none")
    azure = backend_store(request, "azure")
    dates = []
    azure._blob("fz/none").exists(
        raw_request_hook=lambda call: dates.append(
            call.http_request.headers["x-ms-date"]
        )
    )
    frozen_now = time.time()
    # botocore's adaptive retries, keystone's token expiry, Azure's x-ms-date.
    assert abs(botocore.retries.bucket.Clock().current_time() - frozen_now) > YEAR
    keystone_now = keystoneauth1._utils.before_utcnow()  # what a token expires by
    assert abs(keystone_now.replace(tzinfo=UTC).timestamp() - frozen_now) > YEAR
    (azure_date,) = dates
    assert (
        abs(email.utils.parsedate_to_datetime(azure_date).timestamp() - frozen_now)
        > YEAR
    )
