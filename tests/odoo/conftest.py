"""Fixtures shared by the attachment tests of the Odoo tier."""

import pytest
from object_storage_backends import azure_backend, s3_backend, swift_backend

# Each backend's function, and the server fixture it runs on.
BACKENDS = {
    "s3": (s3_backend, "swift"),
    "swift": (swift_backend, "swift"),
    "azure": (azure_backend, "azurite"),
}


@pytest.fixture(scope="module", params=list(BACKENDS))
def backend(request):
    """Each backend in turn (:class:`object_storage_backends.Backend`): the
    plumbing of base_attachment_object_storage is the same for all of them."""
    common = {
        "ATTACHMENT_STORAGE_GC_GRACE": "0",
        "ATTACHMENT_STORAGE_BATCH_SIZE": "100",
    }
    make, server = BACKENDS[request.param]
    chosen = make(request.getfixturevalue(server))
    chosen.env.update(common)
    return chosen
