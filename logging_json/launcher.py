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

# Then Odoo sets itself up, before anything else is imported.
from odoo_cloud_adapter import odoo_bin  # noqa: E402

# isort: split
from odoo_cloud import logs  # noqa: E402
from odoo_cloud.config import load  # noqa: E402


def main():
    config = load(groups=("logging",))
    json_logs = config["ODOO_LOGGING_JSON"]
    odoo_bin.main(logs.formatter_from_config(config) if json_logs else None)


if __name__ == "__main__":
    main()
