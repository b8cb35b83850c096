"""The rules of ``odoo_cloud.platform``, checked when the registry loads, and
the installation of the attachment storage they demand."""

import logging

from odoo import _, api, models
from odoo.exceptions import AccessError

from odoo_cloud import config, platform
from odoo_cloud.errors import ConfigError, PlatformError
from odoo_cloud_adapter import options

_logger = logging.getLogger(__name__)


class CloudPlatform(models.AbstractModel):
    _name = "cloud.platform"
    _description = "Cloud platform checks and installation"

    def _register_hook(self):
        super()._register_hook()
        self._check(loading=True)

    @api.model
    def _settings(self):
        return config.parse(running_env_option=options.running_env())

    @api.model
    def _location(self):
        return self.env["ir.config_parameter"].sudo().get_param(platform.LOCATION)

    @api.model
    def _check(self, loading=False):
        """Raise when the configuration breaks a rule of the running
        environment; with ODOO_CLOUD_PLATFORM_UNSAFE=1, log it and go on.

        Private: what it raises shows the instance's settings (buckets,
        prefixes), and nobody needs it over RPC (``odoo-cloud check`` checks
        the same rules without Odoo).
        """
        settings, problems = self._settings()
        problem = (
            ConfigError(problems) if problems else self._violated(settings, loading)
        )
        if problem is None:
            _logger.info(
                "cloud platform: %s follows every rule of %s",
                self.env.cr.dbname,
                settings.running_env,
            )
            return
        unsafe = settings.settings.get("ODOO_CLOUD_PLATFORM_UNSAFE")
        if unsafe and unsafe.value:
            _logger.warning(
                "cloud platform: ODOO_CLOUD_PLATFORM_UNSAFE=1, %s is used "
                "although it is configured wrongly:\n%s",
                self.env.cr.dbname,
                problem,
            )
            return
        _logger.error("cloud platform: %s refused:\n%s", self.env.cr.dbname, problem)
        raise problem

    @api.model
    def _violated(self, settings, loading):
        """The PlatformError of every rule broken, or None.

        While the registry loads (``loading``), an ``ir_attachment.location``
        never set is only reported: install() sets it, from a registry that
        has to load first.
        """
        env = settings.running_env
        violated = platform.violations(settings, env, self.env.cr.dbname)
        if env in platform.RULES:
            schemes = self.env["ir.attachment"]._object_storage_schemes()
            current = self._location()
            found = platform.check_location(settings, env, schemes, current or "file")
            if found and loading and not current:
                _logger.warning(
                    "cloud platform: %s is not set in %s: run install() "
                    "(anthem odoo.addons.cloud_platform.songs::install)",
                    platform.LOCATION,
                    self.env.cr.dbname,
                )
            else:
                violated += found
        return PlatformError(env, violated) if violated else None

    @api.model
    def install(self):
        """Put the attachments where the running environment wants them: set
        ``ir_attachment.location``, check every rule, move the attachments
        stored elsewhere. Run again, it changes nothing and only verifies.
        Returns the location.

        Only in a superuser environment (the install song, marabunta,
        ``odoo-bin shell``), never over RPC, administrators included: it
        rewrites where every attachment lives and runs for as long as the
        move takes, which a web worker's time limits would cut short.
        """
        if not self.env.is_superuser():
            raise AccessError(
                _(
                    "cloud.platform.install() is run by the platform's operator, "
                    "from the install song or odoo-bin shell, not over RPC."
                )
            )
        settings = config.load(running_env_option=options.running_env())
        env = settings.running_env
        if env not in platform.RULES:
            raise PlatformError(env, platform.check_running_env(env))
        schemes = self.env["ir.attachment"]._object_storage_schemes()
        location = platform.attachment_location(settings, env, schemes)
        current = self._location()
        if location is None:
            violated = platform.check_location(settings, env, schemes, current)
            raise PlatformError(env, violated)
        if current != location:
            was = current or "unset"
            _logger.info(
                "cloud platform: %s = %s (was %s)", platform.LOCATION, location, was
            )
            self.env["ir.config_parameter"].sudo().set_param(
                platform.LOCATION, location
            )
        self._check()
        _logger.info(
            "cloud platform: moving the attachments stored elsewhere to %s", location
        )
        self.env["ir.attachment"].sudo().force_storage()
        _logger.info(
            "cloud platform: %s installed for %s, attachments in %s",
            self.env.cr.dbname,
            env,
            location,
        )
        return location
