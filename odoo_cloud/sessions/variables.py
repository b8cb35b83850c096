"""The variables of HTTP sessions in Redis (session_redis)."""

from ..variable import (
    Variable,
    addresses,
    boolean,
    choice,
    duration,
    existing_file,
    grouped,
    integer,
    lifetime,
    port,
    text,
    url,
)

VARIABLES = grouped(
    "sessions",
    Variable(
        "ODOO_SESSION_REDIS",
        boolean,
        default=False,
        help="Store HTTP sessions in Redis (session_redis).",
    ),
    Variable(
        "ODOO_SESSION_REDIS_URL",
        url("redis", "rediss", "unix"),
        help="Redis URL (redis://, rediss:// or unix://); replaces HOST, PORT and DB.",
    ),
    Variable(
        "ODOO_SESSION_REDIS_HOST",
        text,
        default="localhost",
        help="Redis host.",
    ),
    Variable(
        "ODOO_SESSION_REDIS_PORT",
        port,
        default=6379,
        help="Redis port.",
    ),
    Variable(
        "ODOO_SESSION_REDIS_DB",
        integer(0, 2**31 - 1),
        default=0,
        help="Redis database number.",
    ),
    Variable(
        "ODOO_SESSION_REDIS_USERNAME",
        text,
        help="Redis ACL user name (Redis 6+); unset: the default user.",
    ),
    Variable(
        "ODOO_SESSION_REDIS_PASSWORD",
        text,
        secret=True,
        help="Redis password.",
    ),
    Variable(
        "ODOO_SESSION_REDIS_TLS",
        boolean,
        default=False,
        help="Connect with TLS when no URL is given (a rediss:// URL implies it).",
    ),
    Variable(
        "ODOO_SESSION_REDIS_TLS_CA_FILE",
        existing_file,
        help="CA certificates (PEM) of Redis's certificate; unset: the system's.",
    ),
    Variable(
        "ODOO_SESSION_REDIS_TLS_CERT_FILE",
        existing_file,
        help="Client certificate (PEM), when Redis asks for one.",
    ),
    Variable(
        "ODOO_SESSION_REDIS_TLS_KEY_FILE",
        existing_file,
        help="Private key (PEM) of the client certificate.",
    ),
    Variable(
        "ODOO_SESSION_REDIS_TLS_CERT_REQS",
        choice("required", "optional", "none"),
        default="required",
        help="Whether Redis's certificate must be valid: required, optional or none.",
    ),
    Variable(
        "ODOO_SESSION_REDIS_PREFIX",
        text,
        default="odoo",
        help="Key prefix: keys are `<prefix>:session:<sid>`.",
    ),
    Variable(
        "ODOO_SESSION_REDIS_EXPIRATION",
        lifetime(),
        default=7 * 24 * 3600,
        help="Lifetime in seconds of a session with a logged-in user.",
        env_defaults=(("test", 24 * 3600),),
    ),
    Variable(
        "ODOO_SESSION_REDIS_EXPIRATION_ANONYMOUS",
        lifetime(),
        default=3 * 3600,
        help="Lifetime in seconds of a session without a user.",
    ),
    Variable(
        "ODOO_SESSION_REDIS_SENTINEL_HOST",
        addresses,
        help="Sentinels, `host[:port]` separated by commas; enables Sentinel.",
    ),
    Variable(
        "ODOO_SESSION_REDIS_SENTINEL_PORT",
        port,
        default=26379,
        help="Port of the sentinels listed without one.",
    ),
    Variable(
        "ODOO_SESSION_REDIS_SENTINEL_MASTER_NAME",
        text,
        help="Name of the master monitored by Sentinel.",
    ),
    Variable(
        "ODOO_SESSION_REDIS_SENTINEL_PASSWORD",
        text,
        secret=True,
        help="Password of the sentinels themselves (not of Redis).",
    ),
    Variable(
        "ODOO_SESSION_REDIS_CLUSTER",
        boolean,
        default=False,
        help="Talk to a Redis Cluster; HOST:PORT (or the URL) is any node of it.",
    ),
    Variable(
        "ODOO_SESSION_REDIS_CONNECT_TIMEOUT",
        duration,
        default=2.0,
        help="Seconds to wait for a connection to Redis before answering 503.",
    ),
    Variable(
        "ODOO_SESSION_REDIS_SOCKET_TIMEOUT",
        duration,
        default=2.0,
        help="Seconds to wait for an answer from Redis before answering 503.",
    ),
)


def variables():
    return VARIABLES
