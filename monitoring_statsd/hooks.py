"""Send the request metrics to statsd, installed by ``post_load``.

``post_load`` runs in every process that serves (the prefork master, whose
workers inherit the sink and open their own socket, the threaded server, the
gevent process). A misconfiguration stops Odoo with ``SystemExit``.
"""

import logging

from odoo_cloud import config
from odoo_cloud.metrics import subscribe
from odoo_cloud.metrics.statsd import StatsdSink
from odoo_cloud.startup import refusing_to_start
from odoo_cloud_adapter import http, options, servers

_logger = logging.getLogger(__name__)


@refusing_to_start("monitoring_statsd")
def post_load():
    settings = config.load(
        running_env_option=options.running_env(), groups=("metrics",)
    )
    if not settings["ODOO_STATSD"]:
        _logger.info("ODOO_STATSD is off: no metrics sent to statsd")
        return
    sink = StatsdSink.from_config(settings)
    subscribe(sink)
    servers.measure_workers(http.measure_requests())
    _logger.info(
        "Metrics sent to statsd at %s:%s as %s*",
        settings["STATSD_HOST"],
        settings["STATSD_PORT"],
        sink.prefix,
    )
