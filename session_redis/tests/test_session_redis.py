"""Log in and out through Odoo's own HTTP stack with sessions in Redis.

Needs ``ODOO_SESSION_REDIS=1`` and a reachable Redis in the environment (the
suite's Odoo tier runs these tests that way, through pytest-odoo).
"""

from odoo.tests import HttpCase, tagged

from .common import RedisSessionsCase


@tagged("post_install", "-at_install")
class TestSessionRedis(RedisSessionsCase, HttpCase):
    def key_exists(self, sid):
        return self.store.sessions.client.exists(self.store.sessions.key(sid))

    def session_uid(self):
        reply = self.url_open(
            "/web/session/get_session_info",
            data="{}",
            headers={"Content-Type": "application/json"},
        )
        body = reply.json()
        if "error" in body:
            self.assertEqual(body["error"]["message"], "Odoo Session Expired")
            return None
        return body["result"]["uid"]

    def test_login_then_logout(self):
        self.authenticate("admin", "admin")
        sid = self.session.sid
        self.assertTrue(self.key_exists(sid))
        self.assertEqual(self.session_uid(), self.env.ref("base.user_admin").id)

        reply = self.url_open("/web/session/logout", allow_redirects=False)
        self.assertEqual(reply.status_code, 303)
        self.assertFalse(self.key_exists(sid))
        self.assertIsNone(self.session_uid())
