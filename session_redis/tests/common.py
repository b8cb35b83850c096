import odoo.http

from odoo_cloud_adapter.session_store import RedisSessionStore

from ..hooks import post_load


class RedisSessionsCase:
    """Mixin of an ``HttpCase`` whose requests keep their sessions in Redis:
    ``cls.store`` is the store."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A test runner imports the addon before Odoo loads the server-wide
        # modules, and Odoo skips the post_load of an imported module.
        cls.classPatch(odoo.http.root, "session_store", odoo.http.root.session_store)
        post_load()
        cls.store = odoo.http.root.session_store
        assert isinstance(cls.store, RedisSessionStore), "ODOO_SESSION_REDIS is off"
