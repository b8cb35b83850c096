"""The environment variables the suite reads, declared once.

Every addon, the startup checks and ``odoo-cloud check`` read their settings
through :func:`load` or :func:`parse`; nothing else in the suite looks at
``os.environ``. Each :class:`Variable` names its type, its default and whether
it is a secret, so that a bad value is refused with a message naming the
variable, and a secret is never printed.
"""

import ipaddress
import os
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

RUNNING_ENVIRONMENTS = ("prod", "integration", "test", "dev")
# Swift's default limit on one object, and so on one segment.
SWIFT_MAX_OBJECT_SIZE = 5 * 1024**3
MASK = "********"


class ConfigError(ValueError):
    """One or more variables hold a value the suite cannot use."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


class Secret:
    """A secret value that never shows itself in a repr, a str or a log line."""

    __slots__ = ("_value",)

    def __init__(self, value):
        self._value = value

    def reveal(self):
        return self._value

    def __repr__(self):
        return f"Secret({MASK!r})"

    __str__ = __repr__

    def __eq__(self, other):
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self):
        return hash(self._value)


# Value types. Each parser takes the raw string and returns the typed value or
# raises ValueError with the reason, which the caller prefixes with the name.

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def boolean(raw):
    word = raw.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError("is not a boolean (use 1/0, true/false, yes/no or on/off)")


def integer(minimum=None, maximum=None, unit="a whole number"):
    def parse_integer(raw):
        try:
            number = int(raw.strip())
        except ValueError:
            raise ValueError(f"is not {unit}") from None
        if minimum is not None and number < minimum:
            raise ValueError(f"must be {unit} >= {minimum}")
        if maximum is not None and number > maximum:
            raise ValueError(f"must be {unit} <= {maximum}")
        return number

    return parse_integer


port = integer(1, 65535, unit="a TCP/UDP port number (1-65535)")
seconds = integer(1, unit="a whole number of seconds")


def text(raw):
    return raw


def choice(*allowed):
    """One of ``allowed``, in any case; the value keeps the declared spelling."""
    spelling = {word.lower(): word for word in allowed}

    def parse_choice(raw):
        word = raw.strip().lower()
        if word not in spelling:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return spelling[word]

    return parse_choice


class StorageRules(tuple):
    """(mimetype prefix, max bytes or None) pairs, shown as they are written."""

    def __str__(self):
        return ",".join(
            prefix if size is None else f"{prefix}:{size}" for prefix, size in self
        )


def storage_rules(raw):
    """``mimetype-prefix[:max-bytes],...``: content kept in the database.

    ``image/:51200`` keeps images up to 50 KiB there; a prefix without a size
    keeps every size.
    """
    rules = []
    for part in filter(None, (p.strip() for p in raw.split(","))):
        prefix, _, size = part.partition(":")
        if size and not size.strip().isdigit():
            raise ValueError(f"has {part!r}: the size after ':' must be bytes")
        rules.append((prefix.strip(), int(size) if size else None))
    return StorageRules(rules)


def duration(raw):
    """A positive number of seconds; fractions allowed (``0.5``)."""
    try:
        number = float(raw.strip())
    except ValueError:
        raise ValueError("is not a number of seconds") from None
    if not number > 0 or number == float("inf"):
        raise ValueError("must be a number of seconds > 0")
    return number


def existing_file(raw):
    path = raw.strip()
    if not os.path.isfile(path):
        raise ValueError("is not an existing file")
    return path


_HOST = re.compile(r"^[A-Za-z0-9._-]+$|^\[[0-9A-Fa-f:.]+\]$")


def url(*schemes, default_scheme=None):
    """A URL with one of ``schemes``; ``default_scheme`` allows a bare host."""

    def parse_url(raw):
        value = raw.strip()
        if default_scheme and "://" not in value:
            value = f"{default_scheme}://{value}"
        parts = urlsplit(value)
        if parts.scheme not in schemes:
            raise ValueError(
                f"must be a URL starting with {' or '.join(f'{s}://' for s in schemes)}"
            )
        try:
            parts.port  # noqa: B018 - raises on a non-numeric or out-of-range port
        except ValueError:
            raise ValueError("has an invalid port") from None
        if parts.scheme != "unix" and not _HOST.match(parts.hostname or ""):
            raise ValueError("has no valid host name")
        if parts.scheme == "unix" and not parts.path:
            raise ValueError("has no socket path")
        return value

    return parse_url


class Addresses(tuple):
    """``(host, port)`` pairs, ``port`` None where the list gave none; shown as
    they are written, ``host[:port]`` joined by commas."""

    def __str__(self):
        items = []
        for host, port in self:
            shown = f"[{host}]" if ":" in host else host
            items.append(shown if port is None else f"{shown}:{port}")
        return ",".join(items)


def addresses(raw):
    """A comma-separated ``host[:port]`` list (``[v6]:port`` for IPv6)."""
    pairs = []
    for item in raw.split(","):
        item = item.strip()
        host, colon, port_text = item.rpartition(":")
        if not colon or (host.count(":") and not host.startswith("[")):
            host, port_text = item, ""
        if not _HOST.match(host):
            raise ValueError(
                f"has no valid host name in {item!r} (use host[:port],...)"
            )
        pairs.append((host.strip("[]"), port(port_text) if port_text else None))
    return Addresses(pairs)


class Networks(tuple):
    """IP networks, shown as they are written, comma-separated."""

    def __str__(self):
        return ",".join(map(str, self))

    def include(self, address):
        """Whether ``address`` (text) belongs to one of the networks."""
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self)


def networks(raw):
    """A comma-separated list of IP addresses and CIDRs (``10.0.0.0/8``)."""
    items = []
    for item in filter(None, (part.strip() for part in raw.split(","))):
        try:
            items.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(
                f"has {item!r}, which is not an IP address or CIDR"
            ) from None
    return Networks(items)


def mask_url_password(value):
    """``value`` with the password of its user-info part masked."""
    parts = urlsplit(value)
    if parts.password is None:
        return value
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{user}:{MASK}@{host}"))


@dataclass(frozen=True)
class Variable:
    name: str
    parse: object
    default: object = None
    secret: bool = False
    help: str = ""
    group: str = ""
    # (running environment, default) pairs: the default documented for that
    # environment, in place of ``default``.
    env_defaults: tuple = ()
    # Older names of the variable, read when it is not set itself.
    aliases: tuple = ()

    @property
    def names(self):
        """The names it may be set under, the preferred one first."""
        return (self.name, *self.aliases)

    def display(self, value):
        """How ``value`` may be shown to a person: secrets masked."""
        if value is None:
            return "(unset)"
        if value == "":
            return "(empty)"
        if isinstance(value, Secret):
            return MASK
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str) and "://" in value:
            return mask_url_password(value)
        return str(value)


@dataclass(frozen=True)
class Setting:
    """The effective value of one variable and where it came from."""

    variable: Variable
    value: object
    source: str

    def __repr__(self):
        return (
            f"Setting({self.variable.name}={self.variable.display(self.value)}, "
            f"source={self.source})"
        )


def _v(
    group, name, parse, default=None, help="", secret=False, env_defaults=None,
    aliases=(),
):  # fmt: skip
    return Variable(
        name, parse, default, secret, help, group,
        tuple((env_defaults or {}).items()), tuple(aliases),
    )  # fmt: skip


VARIABLES = (
    _v(
        "platform",
        "RUNNING_ENV",
        choice(*RUNNING_ENVIRONMENTS),
        help="Running environment; falls back to Odoo's `running_env` option.",
    ),
    _v(
        "platform",
        "ODOO_CLOUD_PLATFORM_UNSAFE",
        boolean,
        False,
        "Turn the cloud_platform startup refusals into warnings.",
    ),
    _v(
        "sessions",
        "ODOO_SESSION_REDIS",
        boolean,
        False,
        "Store HTTP sessions in Redis (session_redis).",
    ),
    _v(
        "sessions",
        "ODOO_SESSION_REDIS_URL",
        url("redis", "rediss", "unix"),
        help="Redis URL (redis://, rediss:// or unix://); replaces HOST, PORT and DB.",
    ),
    _v("sessions", "ODOO_SESSION_REDIS_HOST", text, "localhost", "Redis host."),
    _v("sessions", "ODOO_SESSION_REDIS_PORT", port, 6379, "Redis port."),
    _v("sessions", "ODOO_SESSION_REDIS_DB", integer(0), 0, "Redis database number."),
    _v(
        "sessions",
        "ODOO_SESSION_REDIS_USERNAME",
        text,
        help="Redis ACL user name (Redis 6+); unset: the default user.",
    ),
    _v(
        "sessions",
        "ODOO_SESSION_REDIS_PASSWORD",
        text,
        secret=True,
        help="Redis password.",
    ),
    _v(
        "sessions",
        "ODOO_SESSION_REDIS_TLS",
        boolean,
        False,
        "Connect with TLS when no URL is given (a rediss:// URL implies it).",
    ),
    _v(
        "sessions",
        "ODOO_SESSION_REDIS_TLS_CA_FILE",
        existing_file,
        help="CA certificates (PEM) of Redis's certificate; unset: the system's.",
    ),
    _v(
        "sessions",
        "ODOO_SESSION_REDIS_TLS_CERT_FILE",
        existing_file,
        help="Client certificate (PEM), when Redis asks for one.",
    ),
    _v(
        "sessions",
        "ODOO_SESSION_REDIS_TLS_KEY_FILE",
        existing_file,
        help="Private key (PEM) of the client certificate.",
    ),
    _v(
        "sessions",
        "ODOO_SESSION_REDIS_TLS_CERT_REQS",
        choice("required", "optional", "none"),
        "required",
        "Whether Redis's certificate must be valid: required, optional or none.",
    ),
    _v(
        "sessions",
        "ODOO_SESSION_REDIS_PREFIX",
        text,
        "odoo",
        "Key prefix: keys are `<prefix>:session:<sid>`.",
    ),
    _v(
        "sessions",
        "ODOO_SESSION_REDIS_EXPIRATION",
        seconds,
        7 * 24 * 3600,
        "Lifetime in seconds of a session with a logged-in user.",
        env_defaults={"test": 24 * 3600},
    ),
    _v(
        "sessions",
        "ODOO_SESSION_REDIS_EXPIRATION_ANONYMOUS",
        seconds,
        3 * 3600,
        "Lifetime in seconds of a session without a user.",
    ),
    _v(
        "sessions",
        "ODOO_SESSION_REDIS_SENTINEL_HOST",
        addresses,
        help="Sentinels, `host[:port]` separated by commas; enables Sentinel.",
    ),
    _v(
        "sessions",
        "ODOO_SESSION_REDIS_SENTINEL_PORT",
        port,
        26379,
        "Port of the sentinels listed without one.",
    ),
    _v(
        "sessions",
        "ODOO_SESSION_REDIS_SENTINEL_MASTER_NAME",
        text,
        help="Name of the master monitored by Sentinel.",
    ),
    _v(
        "sessions",
        "ODOO_SESSION_REDIS_SENTINEL_PASSWORD",
        text,
        secret=True,
        help="Password of the sentinels themselves (not of Redis).",
    ),
    _v(
        "sessions",
        "ODOO_SESSION_REDIS_CLUSTER",
        boolean,
        False,
        "Talk to a Redis Cluster; HOST:PORT (or the URL) is any node of it.",
    ),
    _v(
        "sessions",
        "ODOO_SESSION_REDIS_CONNECT_TIMEOUT",
        duration,
        2.0,
        "Seconds to wait for a connection to Redis before answering 503.",
    ),
    _v(
        "sessions",
        "ODOO_SESSION_REDIS_SOCKET_TIMEOUT",
        duration,
        2.0,
        "Seconds to wait for an answer from Redis before answering 503.",
    ),
    _v(
        "attachments",
        "DISABLE_ATTACHMENT_STORAGE",
        boolean,
        False,
        "Never contact the object store; new attachments go to the database.",
    ),
    _v(
        "attachments",
        "ATTACHMENT_STORAGE_KEY_PREFIX",
        text,
        "",
        "Prefix of every object key; `{db}` becomes the database name.",
    ),
    _v(
        "attachments",
        "ATTACHMENT_STORAGE_FORCE_DB",
        storage_rules,
        storage_rules("text/css,application/javascript,image/:51200"),
        "Content kept in the database: `mimetype-prefix[:max-bytes]`, comma-separated.",
    ),
    _v(
        "attachments",
        "ATTACHMENT_STORAGE_GC_GRACE",
        integer(0, unit="a whole number of seconds"),
        3600,
        "Age in seconds before an unreferenced object may be garbage-collected.",
    ),
    _v(
        "attachments",
        "ATTACHMENT_STORAGE_GC_DRY_RUN",
        boolean,
        False,
        "Log what the garbage collector would delete, delete nothing.",
    ),
    _v(
        "attachments",
        "ATTACHMENT_STORAGE_CONCURRENCY",
        integer(1, 64),
        8,
        "Parallel transfers when attachments are migrated between stores.",
    ),
    _v(
        "attachments",
        "ATTACHMENT_STORAGE_BATCH_SIZE",
        integer(1),
        200,
        "Attachments migrated, and committed, per batch.",
    ),
    _v(
        "s3",
        "AWS_HOST",
        url("https", "http", default_scheme="https"),
        help="S3 endpoint; https:// is assumed when no scheme is given.",
    ),
    _v("s3", "AWS_REGION", text, help="S3 region."),
    _v(
        "s3",
        "AWS_ACCESS_KEY_ID",
        text,
        help="S3 access key; boto3's credential chain is used when unset.",
    ),
    _v("s3", "AWS_SECRET_ACCESS_KEY", text, secret=True, help="S3 secret key."),
    _v(
        "s3",
        "AWS_BUCKETNAME",
        text,
        help="Bucket, `<project>-odoo-<env>`; `{db}` becomes the database name.",
    ),
    _v(
        "s3",
        "AWS_ADDRESSING_STYLE",
        choice("auto", "path", "virtual"),
        "auto",
        "Bucket in the host name (virtual) or in the path (path).",
    ),
    _v(
        "s3",
        "AWS_SERVER_SIDE_ENCRYPTION",
        choice("AES256", "aws:kms"),
        help="Server-side encryption of new objects.",
    ),
    _v(
        "s3",
        "AWS_SSE_KMS_KEY_ID",
        text,
        help="KMS key of `aws:kms` encryption; the bucket's default key when unset.",
    ),
    _v("s3", "AWS_VERIFY", boolean, True, "Verify the endpoint's TLS certificate."),
    _v(
        "s3",
        "AWS_CA_BUNDLE",
        text,
        help="CA bundle file to verify the endpoint's certificate with.",
    ),
    _v("s3", "AWS_CONNECT_TIMEOUT", seconds, 5, "Connect timeout in seconds."),
    _v("s3", "AWS_READ_TIMEOUT", seconds, 60, "Read timeout in seconds."),
    _v(
        "s3",
        "AWS_RETRY_MODE",
        choice("standard", "adaptive", "legacy"),
        "standard",
        "botocore retry mode.",
    ),
    _v(
        "s3",
        "AWS_MAX_ATTEMPTS",
        integer(1),
        3,
        "Attempts per request, the first included.",
    ),
    _v(
        "s3",
        "AWS_BUCKETNAME_UNSTRUCTURED",
        boolean,
        False,
        "Do not check the bucket name against the running environment.",
    ),
    _v(
        "swift",
        "SWIFT_AUTH_URL",
        url("https", "http"),
        help="Swift authentication URL.",
    ),
    _v(
        "swift",
        "SWIFT_AUTH_VERSION",
        choice("1.0", "2.0", "3"),
        "3",
        "Login protocol: `1.0` (tempauth), `2.0` or `3` (keystone).",
    ),
    _v(
        "swift",
        "SWIFT_ACCOUNT",
        text,
        help="Swift user name (`account:user` with tempauth).",
    ),
    _v("swift", "SWIFT_PASSWORD", text, secret=True, help="Swift password."),
    _v(
        "swift",
        "SWIFT_PROJECT_NAME",
        text,
        help="Keystone project (tenant) holding the containers.",
        aliases=("SWIFT_TENANT_NAME",),
    ),
    _v(
        "swift",
        "SWIFT_REGION_NAME",
        text,
        help="Keystone region of the object-store endpoint; unset: the first.",
    ),
    _v(
        "swift",
        "SWIFT_USER_DOMAIN_NAME",
        text,
        "Default",
        "Keystone v3 domain of the user.",
    ),
    _v(
        "swift",
        "SWIFT_PROJECT_DOMAIN_NAME",
        text,
        "Default",
        "Keystone v3 domain of the project.",
    ),
    _v(
        "swift",
        "SWIFT_WRITE_CONTAINER",
        text,
        help="Container, `<project>-odoo-<env>`; `{db}` becomes the database name.",
    ),
    _v(
        "swift",
        "SWIFT_WRITE_CONTAINER_UNSTRUCTURED",
        boolean,
        False,
        "Do not check the container name against the running environment.",
    ),
    _v(
        "swift",
        "SWIFT_CONNECT_TIMEOUT",
        seconds,
        5,
        "Connect timeout in seconds (keystone logins use the read timeout).",
    ),
    _v("swift", "SWIFT_READ_TIMEOUT", seconds, 60, "Read timeout in seconds."),
    _v(
        "swift",
        "SWIFT_LARGE_OBJECT_SIZE",
        integer(1, SWIFT_MAX_OBJECT_SIZE, unit="a number of bytes"),
        1024**3,
        "Bytes above which content is stored as a static large object (segments).",
    ),
    _v(
        "swift",
        "SWIFT_SEGMENT_SIZE",
        integer(1024**2, SWIFT_MAX_OBJECT_SIZE, unit="a number of bytes"),
        1024**3,
        "Bytes per segment of a static large object.",
    ),
    _v(
        "logging",
        "ODOO_LOGGING_JSON",
        boolean,
        False,
        "Write logs as one JSON object per line (logging_json).",
    ),
    _v(
        "logging",
        "ODOO_LOGGING_JSON_FIELDS",
        choice("plain", "ecs"),
        "plain",
        "Field names of JSON logs: `plain` or `ecs` (Elastic Common Schema).",
    ),
    _v(
        "metrics",
        "ODOO_STATSD",
        boolean,
        False,
        "Send request metrics to statsd (monitoring_statsd).",
    ),
    _v("metrics", "STATSD_HOST", text, "localhost", "statsd host."),
    _v("metrics", "STATSD_PORT", port, 8125, "statsd UDP port."),
    _v("metrics", "STATSD_PREFIX", text, "odoo", "First part of every metric name."),
    _v("metrics", "STATSD_CUSTOMER", text, help="Project name in metric names."),
    _v(
        "metrics",
        "STATSD_ENVIRONMENT",
        text,
        help="Environment in metric names; defaults to the running environment.",
    ),
    _v(
        "metrics",
        "PROMETHEUS_MULTIPROC_DIR",
        text,
        help="Directory of the per-process metric files; unset: a new one per "
        "server start under the system temp directory.",
    ),
    _v(
        "metrics",
        "ODOO_PROMETHEUS_TOKEN",
        text,
        secret=True,
        help="`/metrics` answers a request with `Authorization: Bearer <token>`.",
    ),
    _v(
        "metrics",
        "ODOO_PROMETHEUS_ALLOW",
        networks,
        help="Addresses or CIDRs, comma-separated, allowed on `/metrics` without "
        "the token; unset: loopback only, unless a token is set.",
    ),
    _v(
        "metrics",
        "ODOO_PROMETHEUS_PORT",
        port,
        help="Also serve `/metrics` and the health probes on this port.",
    ),
    _v(
        "metrics",
        "ODOO_HEALTH_TIMEOUT",
        duration,
        2.0,
        "Seconds each readiness check (database, Redis, object store) may take.",
    ),
)
VARIABLES_BY_NAME = {variable.name: variable for variable in VARIABLES}
# Per object store backend, the variable naming the bucket (or container)
# new attachments are written to.
WRITE_BUCKET_VARIABLES = {"s3": "AWS_BUCKETNAME", "swift": "SWIFT_WRITE_CONTAINER"}


@dataclass(frozen=True)
class Config:
    """Every variable's effective value; secrets stay :class:`Secret`."""

    settings: dict = field(default_factory=dict)

    def __getitem__(self, name):
        return self.settings[name].value

    def source(self, name):
        return self.settings[name].source

    @property
    def running_env(self):
        return self["RUNNING_ENV"]


def reference():
    """The configuration reference as a Markdown table, one row per variable."""
    rows = [
        "| variable | default | secret | meaning |",
        "|---|---|---|---|",
    ]
    for variable in VARIABLES:
        default = (
            "unset"
            if variable.default is None
            else f"`{variable.display(variable.default)}`"
        )
        for env, value in variable.env_defaults:
            default += f", `{variable.display(value)}` in {env}"
        secret = "yes" if variable.secret else ""
        names = "".join(f" (old name `{alias}`)" for alias in variable.aliases)
        rows.append(
            f"| `{variable.name}`{names} | {default} | {secret} | {variable.help} |"
        )
    return "\n".join(rows) + "\n"


def _given(variable, environ):
    """The name ``variable`` is set under and its raw value: its own name
    wins over its aliases; an empty value counts as unset."""
    for name in variable.names:
        raw = environ.get(name)
        if raw is not None and raw.strip():
            return name, raw
    return variable.name, environ.get(variable.name)


def _raw(variable, environ, running_env_option, running_env_argument):
    """The name ``variable`` is given under, its raw value and its source.

    RUNNING_ENV comes from ``odoo-cloud check --env`` first, then from the
    environment, then from Odoo's option.
    """
    name, raw = _given(variable, environ)
    if variable.name == "RUNNING_ENV":
        if running_env_argument:
            return name, running_env_argument, "--env"
        if not (raw and raw.strip()) and running_env_option:
            return name, running_env_option, "odoo option running_env"
    return name, raw, "env" if name == variable.name else f"env {name}"


def _read(variable, raw, source, running_env):
    if raw is None or raw.strip() == "":
        env_defaults = dict(variable.env_defaults)
        if running_env in env_defaults:
            source = f"default in {running_env}"
            return Setting(variable, env_defaults[running_env], source)
        return Setting(variable, variable.default, "default")
    value = variable.parse(raw)
    return Setting(variable, Secret(value) if variable.secret else value, source)


def parse(environ=None, running_env_option=None, running_env_argument=None):
    """Read every variable; return the config and the list of error lines.

    ``running_env_option`` is Odoo's ``running_env`` option (as OCA's
    server_environment reads it), used when ``RUNNING_ENV`` is not set;
    ``running_env_argument`` is ``odoo-cloud check --env``, which wins over both.
    """
    environ = os.environ if environ is None else environ
    settings, errors = {}, []
    for variable in VARIABLES:
        # RUNNING_ENV comes first: the defaults of some others depend on it.
        running_env = getattr(settings.get("RUNNING_ENV"), "value", None)
        name, raw, source = _raw(
            variable, environ, running_env_option, running_env_argument
        )
        try:
            settings[variable.name] = _read(variable, raw, source, running_env)
        except ValueError as error:
            shown = MASK if variable.secret else repr(raw)
            errors.append(f"{name}={shown} {error}")
    return Config(settings), errors


def load(environ=None, running_env_option=None, groups=None):
    """The config, or :class:`ConfigError` listing every bad variable.

    With ``groups``, only the variables of those groups can refuse: an addon
    checks its own settings and leaves the others to theirs.
    """
    config, errors = parse(environ, running_env_option)
    if groups is not None:
        names = {name for v in VARIABLES if v.group in groups for name in v.names}
        errors = [line for line in errors if line.split("=", 1)[0] in names]
    if errors:
        raise ConfigError(errors)
    return config
