"""HAProxy (Debian's ``haproxy``) in front of Odoo instances, as in production.

``/websocket`` (and ``/longpolling``) go to the instances' gevent ports, the
rest round-robin to their HTTP ports. Each port is health-checked on
``/health/ready`` every second and taken out after two failures, so that one
broken instance stops receiving requests. When every instance reports not
ready (a dependency they share is down), requests still reach them: Odoo then
answers what it can, and a readable 503 for what it cannot, where HAProxy
alone would answer every request with its own 503.

A GET or HEAD that an instance was serving when it died (closed without an
answer) goes to another instance, as nginx does by default; any other
request reached Odoo and may have changed something, so it is never sent
twice. What HAProxy answers itself (502 for a request an instance dropped,
503 when no instance answers, 504) is the same readable page as Odoo's
outage page.

The access log (one line per request) goes to HAProxy's output, the
process's log file; the admin socket answers ``show stat``.
"""

import csv
import io
import socket
from pathlib import Path

from odoo_cloud.unavailable_page import raw_response

from .process import HOST, RestartableServer, free_port, port_is_open, require_binary

HEALTH_PATH = "/health/ready"
LIVE_UPDATE_PATHS = ("/websocket", "/longpolling")

# option httplog's line, the path in place of the request line: a query
# string may carry a credential (?password=, a signed URL's sig=).
LOG_FORMAT = (
    "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc "
    r"%ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs \"%HM %HP %HV\""
)
CONFIG = """\
global
    log stdout format raw local0
    stats socket {socket} mode 600 level admin
    maxconn 2000

defaults
    mode http
    log global
    log-format "{log_format}"
    option forwardfor
    timeout connect 5s
    timeout client 60s
    timeout server 900s
    timeout tunnel 1h
    timeout http-request 30s
    # A request whose connection was refused (an instance that just died)
    # goes to another instance; one that reached Odoo is never sent twice.
    retries 3
    option redispatch 1
    default-server inter 1s fall 2 rise 1
{errorfiles}

frontend web
    bind {host}:{port}
    http-request set-header X-Forwarded-Proto http
    http-request set-header X-Forwarded-Host %[req.hdr(host)]
    acl live_updates path_beg {live_update_paths}
    use_backend live_updates if live_updates {{ nbsrv(live_updates) gt 0 }}
    use_backend live_updates_unchecked if live_updates
    use_backend odoo_reads if METH_GET {{ nbsrv(odoo) gt 0 }}
    use_backend odoo if {{ nbsrv(odoo) gt 0 }}
    default_backend odoo_unchecked

backend odoo
    balance roundrobin
    option httpchk GET {health_path}
    http-check expect status 200
{http_checked}

# GET and HEAD: the servers of "odoo", up and down with them; a request an
# instance closed without answering is sent again.
backend odoo_reads
    balance roundrobin
    retry-on conn-failure empty-response junk-response
{http_tracking}

backend odoo_unchecked
    balance roundrobin
{http}

backend live_updates
    balance leastconn
    option httpchk GET {health_path}
    http-check expect status 200
{gevent_checked}

backend live_updates_unchecked
    balance leastconn
{gevent}
"""


# The statuses HAProxy answers itself, and what does not answer then.
ERRORS = {
    502: "the Odoo instance that was serving this request",
    503: "no Odoo instance",
    504: "the Odoo instance that was serving this request",
}


def server_lines(ports, options=""):
    """A ``server`` line per port, named ``odoo-<n>``, followed by ``options``
    (in which ``{name}`` is the server's name)."""
    return "\n".join(
        f"    server odoo-{number} {HOST}:{port}"
        + options.format(name=f"odoo-{number}")
        for number, port in enumerate(ports, 1)
    )


class HAProxy(RestartableServer):
    """One HAProxy on ``port`` (a free one by default) in front of Odoo
    instances, each given as ``(http_port, gevent_port)``."""

    name = "haproxy"

    def __init__(self, base_dir, instances, port=None):
        self.dir = Path(base_dir) / "haproxy"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.log_path = self.dir / "haproxy.log"
        self.socket_path = self.dir / "admin.sock"
        self.config_path = self.dir / "haproxy.cfg"
        http_ports = [http for http, _ in instances]
        gevent_ports = [gevent for _, gevent in instances]
        errorfiles = []
        for status, reason in ERRORS.items():
            path = self.dir / f"{status}.http"
            path.write_bytes(raw_response(status, reason))
            errorfiles.append(f"    errorfile {status} {path}")
        self.config_path.write_text(
            CONFIG.format(
                errorfiles="\n".join(errorfiles),
                log_format=LOG_FORMAT,
                socket=self.socket_path,
                host=HOST,
                port=self.port,
                live_update_paths=" ".join(LIVE_UPDATE_PATHS),
                health_path=HEALTH_PATH,
                http_checked=server_lines(http_ports, " check"),
                http_tracking=server_lines(http_ports, " track odoo/{name}"),
                http=server_lines(http_ports),
                gevent_checked=server_lines(gevent_ports, " check"),
                gevent=server_lines(gevent_ports),
            )
        )
        self.binary = require_binary("haproxy")

    def command(self):
        # -db: stay in the foreground, the log on standard output.
        return [self.binary, "-db", "-f", self.config_path]

    def answers(self):
        return port_is_open(self.port) and self.socket_path.exists()

    def stats(self):
        """The rows of ``show stat``: one per frontend, backend and server."""
        return stats(self.socket_path)

    def server_states(self, backend="odoo"):
        """``{server: status}`` of a health-checked backend (``UP``,
        ``DOWN``, ``UP 1/2``...)."""
        return {
            row["svname"]: row["status"]
            for row in self.stats()
            if row["pxname"] == backend and row["svname"] not in ("FRONTEND", "BACKEND")
        }

    def access_log(self):
        """The access lines logged so far."""
        with open(self.log_path, errors="replace") as log:
            return [line for line in log if " HTTP/" in line]


def stats(socket_path):
    """The rows of ``show stat`` (dicts keyed by HAProxy's column names) of the
    HAProxy whose admin socket is ``socket_path``."""
    with socket.socket(socket.AF_UNIX) as admin:
        admin.settimeout(5)
        admin.connect(str(socket_path))
        admin.sendall(b"show stat\n")
        chunks = []
        while chunk := admin.recv(65536):
            chunks.append(chunk)
    table = b"".join(chunks).decode().lstrip("# ")
    return list(csv.DictReader(io.StringIO(table)))
