"""odoo-bin with JSON logs from Odoo's first log line.

Odoo sets up logging, logs its version, addons paths and database, and only
then loads the server-wide modules: under plain odoo-bin those lines are
text. Started through this script, with the same arguments, Odoo writes them
in JSON too; ``logging_json`` in ``--load`` then adds the request fields:

    ODOO_LOGGING_JSON=1 python logging_json/launcher.py --load=base,web,logging_json

The prefork master starts the gevent process with the same command line, so
it goes through this script as well. Only ``RUNNING_ENV`` names the running
environment of these first lines: Odoo's options are not read yet.
"""

# As odoo-bin does: Odoo runs in UTC, set before the time module is imported.
__import__("os").environ["TZ"] = "UTC"

# What odoo-bin imports: since 19.0, ``odoo`` alone is a namespace package
# that neither sets Odoo up nor brings its command line.
import odoo.cli  # noqa: E402
import odoo.netsvc  # noqa: E402

from odoo_cloud import logs  # noqa: E402
from odoo_cloud.config import load  # noqa: E402


def json_after(init_logger, formatter):
    """``init_logger`` followed by the JSON formatter on every root handler."""

    def init_logger_then_json():
        init_logger()
        logs.install(formatter)

    return init_logger_then_json


def main():
    config = load(groups=("logging",))
    if config["ODOO_LOGGING_JSON"]:
        formatter = logs.formatter_from_config(config)
        odoo.netsvc.init_logger = json_after(odoo.netsvc.init_logger, formatter)
    odoo.cli.main()


if __name__ == "__main__":
    main()
