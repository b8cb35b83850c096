"""Run through pytest-odoo against a real object store, the one of the backend
addon installed with this module (``attachment_s3``: ``AWS_*`` variables,
``attachment_swift``: ``SWIFT_*``, ``attachment_azure``: ``AZURE_STORAGE_*``)."""

import hashlib

from odoo.addons.base_attachment_object_storage.settings import stores
from odoo.tests.common import TransactionCase

from odoo_cloud.storage import Location, content_key

from .common import ObjectStorageCase


class TestObjectStorage(ObjectStorageCase, TransactionCase):
    def create(self, raw, mimetype="application/octet-stream", name="file"):
        return self.Attachment.create({"name": name, "raw": raw, "mimetype": mimetype})

    def test_content_goes_to_the_write_bucket_under_its_sha1(self):
        raw = b"object storage " * 100
        attachment = self.create(raw)
        checksum = hashlib.sha1(raw).hexdigest()
        location = Location.parse(attachment.store_fname)
        namespace = self.Attachment._object_namespace()
        self.assertEqual(location.key, f"{namespace}/{checksum[:2]}/{checksum}")
        self.assertEqual(
            location.bucket, stores().write_bucket(self.scheme, self.env.cr.dbname)
        )
        self.assertFalse(attachment.db_datas)
        self.assertEqual(stores().at(location).get(location.key), raw)
        self.attachment_reads_back(attachment, raw)
        self.assertEqual(
            self.Attachment._file_read(attachment.store_fname, 20), raw[:20]
        )

    def attachment_reads_back(self, attachment, raw):
        attachment.invalidate_recordset()
        self.assertEqual(attachment.raw, raw)

    def test_assets_and_small_images_stay_in_the_database(self):
        for raw, mimetype in [
            (b"body { color: red }" * 1000, "text/css"),
            (b"console.log(1)" * 1000, "application/javascript"),
            (b"\x89PNG small" * 100, "image/png"),
        ]:
            attachment = self.create(raw, mimetype)
            self.assertFalse(attachment.store_fname, mimetype)
            self.assertEqual(attachment.db_datas, raw)
            key = content_key(attachment.checksum, self.Attachment._object_key_prefix())
            self.assertFalse(self.Attachment._object_write_store().exists(key))

    def test_records_elsewhere_stay_readable(self):
        self.env["ir.config_parameter"].set_param("ir_attachment.location", "file")
        in_filestore = self.create(b"still in the filestore")
        self.env["ir.config_parameter"].set_param("ir_attachment.location", self.scheme)
        self.assertNotIn("://", in_filestore.store_fname)
        self.attachment_reads_back(in_filestore, b"still in the filestore")

    def test_a_missing_object_reads_as_empty_content_with_a_warning(self):
        attachment = self.create(b"soon gone " * 50)
        location = Location.parse(attachment.store_fname)
        stores().at(location).delete(location.key)
        with self.assertLogs(
            "odoo.addons.base_attachment_object_storage", "WARNING"
        ) as logged:
            attachment.invalidate_recordset()
            self.assertEqual(attachment.raw, b"")
        self.assertIn(attachment.store_fname, logged.output[0])
