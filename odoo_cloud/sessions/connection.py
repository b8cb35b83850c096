"""Redis clients for the session store, built from the ``sessions`` settings.

Every client has explicit connect and socket timeouts and no retry loop: a
dead Redis fails a request within the connect timeout instead of holding a
worker while redis-py backs off. A pooled connection that Redis closed (a
restart, a failover) is replaced by the pool before use, so a Redis that
comes back is used again by the next request. A cluster client tries once
more, at once, after a node failed: it has asked the cluster for its slots
again in between, so a process that missed a failover follows it instead of
answering 503 (a request on a dead master's slots waits twice as long).
"""

from ..clock import use_real_clock
from ..errors import ConfigError, Problem
from ..masking import mask
from ..unreachable import cause
from . import EXTRA, FEATURE

with EXTRA.needed_by(FEATURE):
    import redis
    import redis.cluster
    import redis.sentinel
    from redis.backoff import NoBackoff
    from redis.retry import Retry

TLS_FILES = {
    "ssl_ca_certs": "ODOO_SESSION_REDIS_TLS_CA_FILE",
    "ssl_certfile": "ODOO_SESSION_REDIS_TLS_CERT_FILE",
    "ssl_keyfile": "ODOO_SESSION_REDIS_TLS_KEY_FILE",
}


def _reveal(secret):
    return secret.reveal() if secret is not None else None


class _SentinelClient(redis.Redis):
    """The client of one sentinel, which keeps why it last failed to list the
    masters (None once it answered)."""

    failure = None

    def sentinel_masters(self):
        try:
            masters = super().sentinel_masters()
        except redis.RedisError as error:
            self.failure = error
            raise
        self.failure = None
        return masters


class _Sentinel(redis.sentinel.Sentinel):
    """redis-py's Sentinel, which finds the master itself; when no sentinel
    names it, its MasterNotFoundError is reworded to say what each sentinel
    answered, where redis-py writes the repr of the client of each one that
    failed."""

    def __init__(self, sentinels, **options):
        super().__init__(sentinels, **options)
        self.sentinels = [
            _SentinelClient(host, port, **self.sentinel_kwargs)
            for host, port in sentinels
        ]

    def discover_master(self, service_name):
        try:
            return super().discover_master(service_name)
        except redis.sentinel.MasterNotFoundError as error:
            raise redis.sentinel.MasterNotFoundError(
                self._why_unnamed(service_name)
            ) from error

    def _why_unnamed(self, service_name):
        """What each sentinel answered when asked for the master: each was,
        since none named it."""
        reasons = {}  # why, and the sentinels that said it
        for sentinel in self.sentinels:
            if sentinel.failure is None:
                reason = f"no master {service_name!r} that is up"
            else:
                reason = self._refusal(sentinel.failure)
            where = sentinel.connection_pool.connection_kwargs
            reasons.setdefault(reason, []).append(f"{where['host']}:{where['port']}")
        return f"no sentinel names master {service_name!r}: " + "; ".join(
            f"{', '.join(sentinels)}: {reason}" for reason, sentinels in reasons.items()
        )

    def _refusal(self, error):
        if not isinstance(error, redis.AuthenticationError):
            return cause(error)
        if self.sentinel_kwargs.get("password"):
            return "ODOO_SESSION_REDIS_SENTINEL_PASSWORD refused"
        return "a password is required (ODOO_SESSION_REDIS_SENTINEL_PASSWORD)"


def validate(config):
    """Refuse variables that are each valid but cannot work together:
    :class:`~odoo_cloud.errors.ConfigError` naming them."""
    sentinel = config["ODOO_SESSION_REDIS_SENTINEL_HOST"]
    problems = []
    if sentinel and not config["ODOO_SESSION_REDIS_SENTINEL_MASTER_NAME"]:
        problems.append(
            Problem(
                "ODOO_SESSION_REDIS_SENTINEL_MASTER_NAME",
                None,
                "is required with ODOO_SESSION_REDIS_SENTINEL_HOST",
            )
        )
    if sentinel and config["ODOO_SESSION_REDIS_CLUSTER"]:
        problems.append(
            Problem(
                "ODOO_SESSION_REDIS_CLUSTER and ODOO_SESSION_REDIS_SENTINEL_HOST",
                None,
                "exclude each other",
            )
        )
    if config["ODOO_SESSION_REDIS_CLUSTER"] and config["ODOO_SESSION_REDIS_DB"]:
        problems.append(
            Problem(
                "ODOO_SESSION_REDIS_DB",
                config["ODOO_SESSION_REDIS_DB"],
                "must be 0 with ODOO_SESSION_REDIS_CLUSTER (a cluster has one "
                "database)",
            )
        )
    if bool(config["ODOO_SESSION_REDIS_TLS_CERT_FILE"]) != bool(
        config["ODOO_SESSION_REDIS_TLS_KEY_FILE"]
    ):
        problems.append(
            Problem(
                "ODOO_SESSION_REDIS_TLS_CERT_FILE and ODOO_SESSION_REDIS_TLS_KEY_FILE",
                None,
                "go together",
            )
        )
    if problems:
        raise ConfigError(problems)


def _uses_tls(config):
    url = config["ODOO_SESSION_REDIS_URL"]
    return url.startswith("rediss://") if url else config["ODOO_SESSION_REDIS_TLS"]


def _options(config):
    """Keyword arguments of every Redis connection: timeouts, auth, TLS."""
    options = {
        "socket_connect_timeout": config["ODOO_SESSION_REDIS_CONNECT_TIMEOUT"],
        "socket_timeout": config["ODOO_SESSION_REDIS_SOCKET_TIMEOUT"],
        "retry": Retry(NoBackoff(), 0),
        "username": config["ODOO_SESSION_REDIS_USERNAME"],
        "password": _reveal(config["ODOO_SESSION_REDIS_PASSWORD"]),
    }
    if _uses_tls(config):
        # A rediss:// URL picks the TLS connection class itself.
        if not config["ODOO_SESSION_REDIS_URL"]:
            options["ssl"] = True
        options["ssl_cert_reqs"] = config["ODOO_SESSION_REDIS_TLS_CERT_REQS"]
        for option, name in TLS_FILES.items():
            if config[name]:
                options[option] = config[name]
    return options


def _sentinels(config):
    default_port = config["ODOO_SESSION_REDIS_SENTINEL_PORT"]
    return [
        (host, port or default_port)
        for host, port in config["ODOO_SESSION_REDIS_SENTINEL_HOST"]
    ]


def connect(config):
    """A new client for the configured Redis (standalone, Sentinel or Cluster),
    from settings that :func:`validate` accepted.

    redis-py connects on first use, except a cluster client, which asks a
    node for the slots as it is built.
    """
    # Health checks, retries and a cluster's slot refreshes; the sessions'
    # own lifetimes are Redis's (TTL) and Odoo's (its clock, frozen or not).
    use_real_clock("redis")
    options = _options(config)
    url = config["ODOO_SESSION_REDIS_URL"]
    if config["ODOO_SESSION_REDIS_SENTINEL_HOST"]:
        sentinel_options = {
            key: value for key, value in options.items() if key.startswith("socket_")
        }
        sentinel_options["password"] = _reveal(
            config["ODOO_SESSION_REDIS_SENTINEL_PASSWORD"]
        )
        sentinel = _Sentinel(
            _sentinels(config), sentinel_kwargs=sentinel_options, **options
        )
        return sentinel.master_for(
            config["ODOO_SESSION_REDIS_SENTINEL_MASTER_NAME"],
            db=config["ODOO_SESSION_REDIS_DB"],
        )
    if config["ODOO_SESSION_REDIS_CLUSTER"]:
        options["retry"] = Retry(NoBackoff(), 1)
        if url:
            return redis.cluster.RedisCluster.from_url(url, **options)
        return redis.cluster.RedisCluster(
            host=config["ODOO_SESSION_REDIS_HOST"],
            port=config["ODOO_SESSION_REDIS_PORT"],
            **options,
        )
    if url:
        return redis.Redis.from_url(url, **options)
    return redis.Redis(
        host=config["ODOO_SESSION_REDIS_HOST"],
        port=config["ODOO_SESSION_REDIS_PORT"],
        db=config["ODOO_SESSION_REDIS_DB"],
        **options,
    )


def describe(config):
    """Where the sessions are, for log lines: address and the variables that
    set it, never a password."""
    if config["ODOO_SESSION_REDIS_SENTINEL_HOST"]:
        sentinels = ",".join(f"{host}:{port}" for host, port in _sentinels(config))
        return (
            f"master {config['ODOO_SESSION_REDIS_SENTINEL_MASTER_NAME']!r} of "
            f"sentinels {sentinels} (ODOO_SESSION_REDIS_SENTINEL_HOST)"
        )
    kind = "cluster node " if config["ODOO_SESSION_REDIS_CLUSTER"] else ""
    if config["ODOO_SESSION_REDIS_URL"]:
        url = mask(config["ODOO_SESSION_REDIS_URL"])
        return f"{kind}{url} (ODOO_SESSION_REDIS_URL)"
    address = f"{config['ODOO_SESSION_REDIS_HOST']}:{config['ODOO_SESSION_REDIS_PORT']}"
    scheme = "rediss" if config["ODOO_SESSION_REDIS_TLS"] else "redis"
    return (
        f"{kind}{scheme}://{address} (ODOO_SESSION_REDIS_HOST, ODOO_SESSION_REDIS_PORT)"
    )
