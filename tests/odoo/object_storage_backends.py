"""The object stores the attachment tests of the Odoo tier run on, and the
steps those tests share (the ``backend`` fixture is in this directory's
conftest)."""

import base64
import io
import os
from dataclasses import dataclass

import in_odoo
from azure.core.exceptions import ResourceNotFoundError
from PIL import Image
from swiftclient.exceptions import ClientException


@dataclass
class Backend:
    """How Odoo reaches a backend, and a raw client to check what it holds."""

    scheme: str
    bucket: str
    env: dict
    objects: object  # key -> bytes, read without the suite's code
    stop: object
    start: object

    def key(self, checksum, namespace):
        """The key of content ``checksum`` written by the database whose
        namespace (:func:`namespace`) is ``namespace``."""
        return f"{namespace}/{checksum[:2]}/{checksum}"

    def location(self, checksum, namespace):
        return f"{self.scheme}://{self.bucket}/{self.key(checksum, namespace)}"


# Both backends use the same Swift all-in-one: a bucket (container) each.
def s3_backend(swift):
    bucket = "odoo-tier-s3"
    env = swift.s3_environ(AWS_BUCKETNAME=bucket, AWS_MAX_ATTEMPTS="1")
    client = swift.s3_client()

    def read(key):
        try:
            return client.get_object(Bucket=bucket, Key=key)["Body"].read()
        except client.exceptions.NoSuchKey:
            return None

    return Backend("s3", bucket, env, read, swift.stop_proxy, swift.start_proxy)


def swift_backend(swift):
    container = "odoo-tier-swift"
    env = swift.swift_environ(SWIFT_WRITE_CONTAINER=container)
    client = swift.swift_client()

    def read(key):
        try:
            return client.get_object(container, key)[1]
        except ClientException as error:
            if error.http_status == 404:
                return None
            raise

    return Backend("swift", container, env, read, swift.stop_proxy, swift.start_proxy)


def azure_backend(azurite):
    container = "odoo-tier-azure"
    env = azurite.environ(AZURE_STORAGE_NAME=container)
    client = azurite.client().get_container_client(container)

    def read(key):
        try:
            return client.download_blob(key).readall()
        except ResourceNotFoundError:
            return None

    return Backend("azure", container, env, read, azurite.stop, azurite.start)


def set_location(odoo, database, location):
    odoo.postgres.psql(
        "INSERT INTO ir_config_parameter (key, value) "
        f"VALUES ('ir_attachment.location', '{location}') "
        "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        dbname=database,
    )


def namespace(odoo, database):
    """The namespace ``database`` writes new content to: settled as it loads
    with an object storage location."""
    return odoo.postgres.psql(
        "SELECT value FROM ir_config_parameter "
        "WHERE key = 'attachment_storage.namespace'",
        dbname=database,
    )


def noise_png(size=300):
    """A PNG too large for the database rule (images up to 50 KiB stay there)."""
    image = Image.frombytes("RGB", (size, size), os.urandom(size * size * 3))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def create(call, name, data):
    """``call`` runs a function of :mod:`in_odoo` in the test's database."""
    return call(in_odoo.create_attachment, name=name, data_b64=b64(data))


def b64(data):
    return base64.b64encode(data).decode()
