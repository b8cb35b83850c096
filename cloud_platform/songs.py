"""anthem songs of the platform.

``anthem odoo.addons.cloud_platform.songs::install``: anthem imports the song
once Odoo has loaded the database, where every addon lives under
``odoo.addons``.
"""

import logging

# anthem sets Odoo's loggers to ERROR: the song shows the progress of what it
# moves, which can take hours on a large filestore.
PROGRESS_LOGGERS = (
    "odoo.addons.cloud_platform",
    "odoo.addons.base_attachment_object_storage",
)


def install(ctx):
    """Configure attachment storage for the running environment and move the
    existing attachments there (``cloud.platform.install()``)."""
    for name in PROGRESS_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
    with ctx.log("cloud platform: install"):
        location = ctx.env["cloud.platform"].install()
        ctx.log_line(f"attachments in {location}")
