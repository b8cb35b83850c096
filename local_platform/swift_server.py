"""A throwaway OpenStack Swift all-in-one, reachable by the Swift and S3 APIs.

Debian's Swift 2.30 packages run one account, container, object and proxy
server, plus a memcached for tempauth's tokens, all on random loopback ports
and with everything (configuration, rings, storage, logs) in one temporary
directory: nothing under /etc/swift is read or written.

The session fixture ``swift`` (``tests/harness``) wraps the context manager
``run_swift``, which a test can also use directly when it needs a cluster of its own.

Two quirks of Swift 2.30 shape the code below:

* its servers read ``swift.conf`` (hash path salts, storage policies) from the
  hard-coded ``/etc/swift/swift.conf``, whatever ``swift_dir`` says; each
  server is therefore started through ``SERVER_BOOTSTRAP``, which points Swift
  at our own ``swift.conf`` before running the packaged server script;
* without ``/dev/log`` its loggers send syslog datagrams nobody reads; the
  ``--verbose`` flag adds a console handler, so every log line, the proxy's
  access log included, lands in the file ``ServerProcess`` captures.
"""

import configparser
import contextlib
import http.client
import json
import os
import pwd
import secrets
import socket
import subprocess
from pathlib import Path

import boto3
import botocore.config
import swiftclient.client

from .errors import ServerFailed
from .process import (
    HOST,
    ServerProcess,
    free_port,
    port_is_open,
    require_binary,
    wait_until,
)

STORAGE_KINDS = ("account", "container", "object")
SERVER_SCRIPTS = {kind: f"swift-{kind}-server" for kind in (*STORAGE_KINDS, "proxy")}
PART_POWER = 8
DEVICE = "d1"
REGION = "us-east-1"
USER, KEY = "test:tester", "testing"
USER2, KEY2 = "test2:tester2", "testing2"
# The key the suite signs temporary URLs with (the store sets it on its
# container); the proxy's tempurl middleware checks it.
TEMP_URL_KEY = "harness-temp-url-key"
ACCESS_LOG_NAME = "proxy-access"
# The User-Agent of the harness's own requests, e.g. the login that checks that
# a (re)started proxy is ready, so that tests counting requests can skip them.
HARNESS_AGENT = "swift-test-harness"
STARTUP_TIMEOUT = 30

PROXY_PIPELINE = (
    "catch_errors gatekeeper healthcheck proxy-logging cache listing_formats"
    " bulk tempurl ratelimit s3api tempauth copy slo dlo versioned_writes"
    " symlink proxy-logging proxy-server"
)

# Run the packaged server script (argv[2:]) against the swift.conf of the
# directory argv[1] instead of /etc/swift/swift.conf.
SERVER_BOOTSTRAP = """\
import runpy, sys
from swift.common import constraints, storage_policy, utils
utils.set_swift_dir(sys.argv[1])
storage_policy.reload_storage_policies()
constraints.reload_constraints()
sys.argv = sys.argv[2:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""

# Run swift-ring-builder's main once per command of the JSON list argv[1], all
# in one interpreter: each run of the script costs half a second of imports.
RING_BOOTSTRAP = """\
import json, sys
from swift.cli.ringbuilder import main
for command in json.loads(sys.argv[1]):
    try:
        main(["swift-ring-builder", *command])
    except SystemExit as done:
        if done.code:
            sys.exit(f"swift-ring-builder {' '.join(command)} failed")
"""


class SwiftCluster:
    """What the tests need to reach the cluster, and the proxy's on/off switch.

    ``user``/``key`` are a tempauth account admin; the same pair is the S3
    access/secret key. ``user2``/``key2`` are the admin of another account.
    """

    user, key = USER, KEY
    user2, key2 = USER2, KEY2
    s3_region = REGION

    def __init__(
        self, proxy_port, proxy_args, proxy_log_path, memcached_port, backends
    ):
        self.proxy_port = proxy_port
        self.memcached_port = memcached_port
        self.proxy_args = proxy_args
        self.proxy_log_path = proxy_log_path
        # memcached and the account, container and object servers.
        self.backends = backends
        self.proxy = None

    @property
    def url(self):
        return f"http://{HOST}:{self.proxy_port}"

    @property
    def auth_url(self):
        return f"{self.url}/auth/v1.0"

    @property
    def s3_endpoint(self):
        return self.url

    @property
    def s3_access_key(self):
        return self.user

    @property
    def s3_secret_key(self):
        return self.key

    def s3_client(self):
        """A raw boto3 client, path-style: the proxy serves no per-bucket host
        names."""
        return boto3.client(
            "s3",
            endpoint_url=self.s3_endpoint,
            aws_access_key_id=self.s3_access_key,
            aws_secret_access_key=self.s3_secret_key,
            region_name=self.s3_region,
            config=botocore.config.Config(s3={"addressing_style": "path"}),
        )

    def s3_environ(self, **extra):
        """The suite's ``AWS_*`` variables for this cluster's S3 API."""
        return {
            "AWS_HOST": self.s3_endpoint,
            "AWS_ACCESS_KEY_ID": self.s3_access_key,
            "AWS_SECRET_ACCESS_KEY": self.s3_secret_key,
            "AWS_REGION": self.s3_region,
            "AWS_ADDRESSING_STYLE": "path",
            **extra,
        }

    def swift_client(self):
        """A raw python-swiftclient Connection that fails at once instead of
        retrying."""
        return swiftclient.client.Connection(
            authurl=self.auth_url,
            user=self.user,
            key=self.key,
            auth_version="1",
            retries=0,
        )

    def swift_environ(self, **extra):
        """The suite's ``SWIFT_*`` variables for this cluster (tempauth), its
        downloads signed with :data:`TEMP_URL_KEY`."""
        return {
            "SWIFT_AUTH_URL": self.auth_url,
            "SWIFT_AUTH_VERSION": "1.0",
            "SWIFT_ACCOUNT": self.user,
            "SWIFT_PASSWORD": self.key,
            "SWIFT_TEMP_URL_KEY": TEMP_URL_KEY,
            **extra,
        }

    def logins(self):
        """How many tempauth logins the access log shows, the harness's own
        left out."""
        return sum(
            "GET /auth/v1.0 " in line and HARNESS_AGENT not in line
            for line in self.access_log_lines()
        )

    def revoke_tokens(self):
        """Make every token issued so far invalid, as their expiry would:
        tempauth keeps its tokens in memcached, which forgets them all."""
        with socket.create_connection((HOST, self.memcached_port), 5) as sock:
            sock.sendall(b"flush_all\r\n")
            if not sock.recv(64).startswith(b"OK"):
                raise ServerFailed("memcached refused flush_all")

    def start_proxy(self):
        """Start the proxy (again) on its port, as after an outage."""
        if self.proxy is not None and self.proxy.is_running():
            raise ServerFailed("the Swift proxy is already running")
        # A new ServerProcess per run: each run is a new process group.
        self.proxy = ServerProcess(
            SERVER_SCRIPTS["proxy"], self.proxy_args, self.proxy_log_path
        ).start()
        wait_healthy(self.proxy_port, self.proxy)
        wait_until(self.auth_works, STARTUP_TIMEOUT, "a tempauth login", self.proxy)

    def stop_proxy(self):
        """Stop the proxy, as an outage would; the other servers keep running."""
        if self.proxy is not None:
            self.proxy.stop()

    def restart_proxy(self):
        """Start the proxy again after a crash."""
        self.stop_proxy()
        self.start_proxy()

    def auth_works(self):
        headers = {
            "X-Auth-User": self.user,
            "X-Auth-Key": self.key,
            "User-Agent": HARNESS_AGENT,
        }
        return http_status(self.proxy_port, "/auth/v1.0", headers) == 200

    def access_log_lines(self):
        """The proxy-logging lines (one per client request) logged so far.

        A line is written once the response is sent, so a test that has just
        received a response may have to poll for its line. The lines of the
        harness's own requests have ``HARNESS_AGENT`` as their user agent.
        """
        prefix = f"{ACCESS_LOG_NAME}: "
        with open(self.proxy_log_path, errors="replace") as log:
            return [line[len(prefix) :] for line in log if line.startswith(prefix)]


@contextlib.contextmanager
def run_swift(base_dir, token_life=None):
    """Start a Swift all-in-one under ``base_dir``, yield it, stop it all.

    ``token_life`` (seconds) shortens the life of tempauth's tokens (a day).
    """
    binaries = {
        name: require_binary(name)
        for name in ("memcached", "swift-ring-builder", *SERVER_SCRIPTS.values())
    }
    python = script_interpreter(binaries["swift-proxy-server"])
    base_dir = Path(base_dir)
    etc, srv, log_dir = base_dir / "etc", base_dir / "srv", base_dir / "log"
    for directory in (etc, srv / DEVICE, log_dir):
        directory.mkdir(parents=True, exist_ok=True)
    ports = {name: free_port() for name in (*SERVER_SCRIPTS, "memcached")}
    write_swift_conf(etc)
    with contextlib.ExitStack() as stack:
        memcached = start_server(
            stack,
            "memcached",
            [
                binaries["memcached"],
                *("-l", HOST, "-p", ports["memcached"], "-U", "0"),
                *("-u", current_user(), "-m", "16", "-t", "1"),
            ],
            log_dir,
        )
        storage = {
            kind: start_server(
                stack,
                SERVER_SCRIPTS[kind],
                server_args(
                    python,
                    binaries[SERVER_SCRIPTS[kind]],
                    etc,
                    write_storage_conf(etc, srv, kind, ports[kind]),
                ),
                log_dir,
            )
            for kind in STORAGE_KINDS
        }
        # The servers load while the rings are built, and while the proxy
        # loads, which only needs the rings (and memcached, for tempauth).
        build_rings(binaries["swift-ring-builder"], etc, ports)
        wait_until(
            lambda: port_is_open(ports["memcached"]),
            STARTUP_TIMEOUT,
            "memcached",
            memcached,
        )
        cluster = SwiftCluster(
            ports["proxy"],
            server_args(
                python,
                binaries["swift-proxy-server"],
                etc,
                write_proxy_conf(etc, ports["proxy"], ports["memcached"], token_life),
            ),
            log_dir / "swift-proxy-server.log",
            ports["memcached"],
            [memcached, *storage.values()],
        )
        stack.callback(cluster.stop_proxy)
        cluster.start_proxy()
        for kind, server in storage.items():
            wait_healthy(ports[kind], server)
        yield cluster


def start_server(stack, name, args, log_dir):
    """Start a server and have ``stack`` stop it (in reverse start order)."""
    server = ServerProcess(name, args, log_dir / f"{name}.log").start()
    stack.callback(server.stop)
    return server


def wait_healthy(port, server):
    """Wait until the server answers its healthcheck: its app is loaded."""
    wait_until(
        lambda: http_status(port, "/healthcheck") == 200,
        STARTUP_TIMEOUT,
        f"{server.name}'s healthcheck",
        server,
    )


def script_interpreter(script):
    """The Python of a packaged script's shebang: the one that has ``swift``."""
    with open(script) as handle:
        return handle.readline().removeprefix("#!").split()[0]


def server_args(python, script, etc, conf_path):
    return [python, "-c", SERVER_BOOTSTRAP, etc, script, conf_path, "--verbose"]


def http_status(port, path, headers=None):
    """Status of a GET of ``path`` on a loopback port, None if nobody answers."""
    connection = http.client.HTTPConnection(HOST, port, timeout=2)
    try:
        connection.request("GET", path, headers=headers or {})
        return connection.getresponse().status
    except OSError:
        return None
    finally:
        connection.close()


def write_conf(path, sections):
    config = configparser.ConfigParser(interpolation=None)
    config.read_dict(sections)
    with open(path, "w") as handle:
        config.write(handle)
    return path


def write_swift_conf(etc):
    """Fresh hash path salts, so no object path is shared with another cluster.

    An existing file is kept: the salts place every object on disk, so a
    cluster started again on the same directory (`make run`) finds its
    objects again.
    """
    if (etc / "swift.conf").exists():
        return
    write_conf(
        etc / "swift.conf",
        {
            "swift-hash": {
                "swift_hash_path_suffix": secrets.token_hex(8),
                "swift_hash_path_prefix": secrets.token_hex(8),
            },
            "storage-policy:0": {"name": "Policy-0", "default": "yes"},
        },
    )


def current_user():
    """Who we run as: Swift and memcached switch to ``user`` when started as
    root, and only we can write to our temporary directory."""
    return pwd.getpwuid(os.geteuid()).pw_name


def server_defaults(etc, port, log_name):
    """[DEFAULT] settings common to every server: requests served by the
    process we start (no forked workers: the machine has few cores)."""
    return {
        "bind_ip": HOST,
        "bind_port": port,
        "workers": 0,
        "user": current_user(),
        "swift_dir": etc,
        "log_name": log_name,
        "log_level": "INFO",
    }


def write_storage_conf(etc, devices, kind, port):
    """Storage on plain directories: no mount check, no space reservation."""
    server = f"{kind}-server"
    defaults = server_defaults(etc, port, server) | {
        "devices": devices,
        "mount_check": "false",
        "disable_fallocate": "true",
        "fallocate_reserve": 0,
    }
    return write_conf(
        etc / f"{server}.conf",
        {
            "DEFAULT": defaults,
            "pipeline:main": {"pipeline": f"healthcheck {server}"},
            f"app:{server}": {"use": f"egg:swift#{kind}"},
            "filter:healthcheck": {"use": "egg:swift#healthcheck"},
        },
    )


def write_proxy_conf(etc, port, memcached_port, token_life=None):
    """Swift API (tempauth) and S3 API (s3api in front of tempauth)."""
    settings = {
        "proxy-server": {
            "use": "egg:swift#proxy",
            "allow_account_management": "true",
            "account_autocreate": "true",
        },
        "proxy-logging": {
            "use": "egg:swift#proxy_logging",
            "access_log_name": ACCESS_LOG_NAME,
        },
        "cache": {
            "use": "egg:swift#memcache",
            "memcache_servers": f"{HOST}:{memcached_port}",
        },
        "s3api": {"use": "egg:swift#s3api", "location": REGION},
        "tempauth": {"use": "egg:swift#tempauth"}
        | ({"token_life": token_life} if token_life else {})
        | {
            f"user_{user.replace(':', '_')}": f"{key} .admin"
            for user, key in ((USER, KEY), (USER2, KEY2))
        },
    }
    sections = {"DEFAULT": server_defaults(etc, port, "proxy-server")}
    sections["pipeline:main"] = {"pipeline": PROXY_PIPELINE}
    for name in PROXY_PIPELINE.split():
        kind = "app" if name == "proxy-server" else "filter"
        sections[f"{kind}:{name}"] = settings.get(name, {"use": f"egg:swift#{name}"})
    return write_conf(etc / "proxy-server.conf", sections)


def build_rings(ring_builder, etc, ports):
    """One ring per storage kind: one replica on our single device."""
    commands = []
    for kind in STORAGE_KINDS:
        builder = str(etc / f"{kind}.builder")
        device = f"r1z1-{HOST}:{ports[kind]}/{DEVICE}"
        commands += [
            [builder, "create", str(PART_POWER), "1", "1"],
            [builder, "add", device, "1"],
            [builder, "rebalance"],
        ]
    result = subprocess.run(
        [script_interpreter(ring_builder), "-c", RING_BOOTSTRAP, json.dumps(commands)],
        capture_output=True,
        text=True,
    )
    if result.returncode:
        raise ServerFailed(
            f"building the Swift rings failed:\n{result.stdout}{result.stderr}"
        )
