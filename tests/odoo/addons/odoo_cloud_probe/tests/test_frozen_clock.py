"""An integrator's tests freezing the clock with the suite installed:
attachments in the object store and sessions in Redis work as on plain Odoo,
whatever the date. Run by the Odoo tier in a database with an object-store
addon installed, ``ODOO_SESSION_REDIS=1`` and downloads offloaded
(``ATTACHMENT_STORAGE_REDIRECT=signed-url``) from a small size."""

import os

import requests
from odoo.addons.base_attachment_object_storage.settings import stores
from odoo.addons.base_attachment_object_storage.tests.common import (
    ObjectStorageCase,
)
from odoo.addons.session_redis.tests.common import RedisSessionsCase
from odoo.tests import HttpCase, TransactionCase, freeze_time, tagged

from odoo_cloud.storage import Location

# Years away from the real clock, on either side.
FROZEN = ("2024-01-01 08:00:00", "2041-06-01 12:00:00")


def pdf(size):
    return b"%PDF-1.4\n" + os.urandom(size)


class TestFrozenClockAttachments(ObjectStorageCase, TransactionCase):
    def test_create_and_read(self):
        for moment in FROZEN:
            with self.subTest(moment=moment), freeze_time(moment):
                raw = pdf(100_000)
                attachment = self.Attachment.create({"name": "a.pdf", "raw": raw})
                location = Location.parse(attachment.store_fname)
                self.assertEqual(location.scheme, self.scheme)
                self.assertEqual(stores().at(location).get(location.key), raw)
                attachment.invalidate_recordset()
                self.assertEqual(attachment.raw, raw)


@tagged("post_install", "-at_install")
class TestFrozenClockHttp(RedisSessionsCase, ObjectStorageCase, HttpCase):
    def test_download_and_offloaded_download(self):
        for moment in FROZEN:
            with self.subTest(moment=moment), freeze_time(moment):
                self.authenticate("admin", "admin")
                small = self.Attachment.create({"name": "s.pdf", "raw": pdf(10)})
                large = self.Attachment.create({"name": "l.pdf", "raw": pdf(100_000)})
                reply = self.url_open(f"/web/content/{small.id}")
                self.assertEqual(reply.content, small.raw)
                reply = self.url_open(f"/web/content/{large.id}", allow_redirects=False)
                self.assertEqual(reply.status_code, 302)
                signed = requests.get(reply.headers["Location"], timeout=30)
                self.assertEqual(signed.content, large.raw)

    def test_garbage_collection(self):
        for moment in FROZEN:
            with self.subTest(moment=moment), freeze_time(moment):
                attachment = self.Attachment.create(
                    {"name": "g.pdf", "raw": pdf(10_000)}
                )
                location = Location.parse(attachment.store_fname)
                attachment.unlink()
                # The collector commits: on a cursor of the test's transaction.
                with self.registry.cursor() as cr:
                    self.env(cr=cr)["ir.attachment"]._gc_object_storage()
                self.assertFalse(stores().at(location).exists(location.key))

    def test_session_saved_and_read_back(self):
        sessions = self.store.sessions
        admin = self.env.ref("base.user_admin")
        for moment in FROZEN:
            with self.subTest(moment=moment), freeze_time(moment):
                self.authenticate("admin", "admin")
                sid = self.session.sid
                # Redis keeps it its lifetime from now, whatever the date.
                self.assertGreater(sessions.client.ttl(sessions.key(sid)), 0)
                reply = self.url_open(
                    "/web/session/get_session_info",
                    data="{}",
                    headers={"Content-Type": "application/json"},
                )
                self.assertEqual(reply.json()["result"]["uid"], admin.id)
                self.assertEqual(self.store.get(sid).uid, admin.id)
