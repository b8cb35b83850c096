"""Request, worker and store metrics, measured once, exported by any sink.

``catalog`` names the metrics; ``recorder`` takes measurements and hands
them to the sinks a process subscribed: ``prometheus.PrometheusSink``
(multiprocess, scraped at ``/metrics``) and ``statsd.StatsdSink`` (UDP).
``http.RequestMeter`` measures the requests of a WSGI application, and
``http.sample_memory`` a process's memory: the Odoo adapter layer hooks them
into Odoo's application and workers. ``probes`` answers ``/metrics`` and the
health probes. Nothing here imports Odoo or, before a sink needs it,
prometheus_client.
"""

from .catalog import METRICS, Metric
from .recorder import (
    adjust_gauge,
    increment,
    measure_object_store,
    measured,
    observe,
    process_ended,
    set_gauge,
    sinks,
    subscribe,
    unsubscribe,
)
