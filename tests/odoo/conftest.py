"""Fixtures shared by the attachment tests of the Odoo tier."""

import pytest
from object_storage_backends import s3_backend, swift_backend


@pytest.fixture(scope="module", params=["s3", "swift"])
def backend(request, swift):
    """Each backend in turn (:class:`object_storage_backends.Backend`): the
    plumbing of base_attachment_object_storage is the same for all of them."""
    common = {
        "ATTACHMENT_STORAGE_GC_GRACE": "0",
        "ATTACHMENT_STORAGE_BATCH_SIZE": "100",
    }
    chosen = {"s3": s3_backend, "swift": swift_backend}[request.param](swift)
    chosen.env.update(common)
    return chosen
