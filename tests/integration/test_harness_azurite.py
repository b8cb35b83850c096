"""The azurite fixture gives a real Azure Blob Storage endpoint reached over
HTTP, that keeps its blobs across a stop and a start."""

import pytest
from azure.core.exceptions import ServiceRequestError


def test_blob_round_trip_then_outage_and_recovery_on_the_same_port(azurite):
    container = azurite.client().create_container("harness")
    container.upload_blob("a/key", b"\x00bytes\xff")
    assert container.download_blob("a/key").readall() == b"\x00bytes\xff"
    azurite.stop()
    try:
        with pytest.raises(ServiceRequestError):
            container.download_blob("a/key")
    finally:
        azurite.start()
    assert container.download_blob("a/key").readall() == b"\x00bytes\xff"
    container.delete_container()
