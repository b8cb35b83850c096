"""nginx (Debian's ``nginx``) in front of one Odoo instance, serving the
downloads Odoo offloads with ``X-Accel-Redirect``
(``ATTACHMENT_STORAGE_REDIRECT=x-accel-redirect``): nginx fetches the signed
URL of the object store itself and sends the object under Odoo's headers.

:data:`OFFLOAD_LOCATION` is the ``location`` block docs/attachments.md gives
operators. Everything nginx writes (pid, logs, temporary files) is under its
directory.
"""

import os
from pathlib import Path

from odoo_cloud.storage.redirect import PROXY_HEADER

from .process import HOST, RestartableServer, free_port, port_is_open, require_binary

# Odoo answers X-Accel-Redirect: /object-storage/<scheme>/<host>/<path>?<query>
# of the signed URL. Odoo's Content-Type, Content-Disposition and
# Cache-Control stay; the store's, and its validators, are hidden.
OFFLOAD_LOCATION = """\
location ~ ^/object-storage/(https?)/([^/]+)/(.*)$ {
    internal;
    proxy_pass $1://$2/$3$is_args$args;
    proxy_set_header Cookie "";
    proxy_set_header Authorization "";
    proxy_hide_header Content-Type;
    proxy_hide_header Content-Disposition;
    proxy_hide_header Cache-Control;
    proxy_hide_header Expires;
    proxy_hide_header ETag;
    proxy_hide_header Last-Modified;
}"""
# In the location proxying to Odoo: Odoo answers X-Accel-Redirect only to the
# requests that carry it, the location above as its value.
PROXY_LINE = f"proxy_set_header {PROXY_HEADER} /object-storage/;"

CONFIG = """\
daemon off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
{user}
events {{
    worker_connections 256;
}}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen {host}:{port};
        location / {{
            proxy_pass {upstream};
            proxy_set_header Host $http_host;
            {proxy_line}
        }}
{offload}
    }}
}}
"""


class Nginx(RestartableServer):
    """One nginx on ``port`` (a free one by default) in front of ``upstream``
    (Odoo's URL)."""

    name = "nginx"

    def __init__(self, base_dir, upstream, port=None):
        self.dir = Path(base_dir) / "nginx"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.log_path = self.dir / "nginx.log"
        self.config_path = self.dir / "nginx.conf"
        offload = "\n".join(f"        {line}" for line in OFFLOAD_LOCATION.splitlines())
        self.config_path.write_text(
            CONFIG.format(
                dir=self.dir,
                # As root, nginx's workers would run as nobody, who cannot
                # write to this directory.
                user="user root;" if os.geteuid() == 0 else "",
                host=HOST,
                port=self.port,
                upstream=upstream,
                offload=offload,
                proxy_line=PROXY_LINE,
            )
        )
        self.binary = require_binary("nginx")

    def command(self):
        error_log = self.dir / "error.log"
        return [self.binary, "-p", self.dir, "-c", self.config_path, "-e", error_log]

    def answers(self):
        return port_is_open(self.port)
