"""What each running environment demands of the configuration, declared once.

The rules are the platform's deployment rules: production, integration and
test keep their HTTP sessions in Redis under a prefix naming the project and
the environment (``<project>-odoo-<env>``); production and integration keep
their attachments in an object store whose bucket or container is named the
same way, and write JSON logs; test keeps its attachments in the database, as
it is recreated from scratch at every release; dev requires nothing.

A production bucket is refused in every other environment, even when its name
is not checked (``*_UNSTRUCTURED``): an integration restored from a production
dump must never write into production's files.

``odoo-cloud check`` checks the variables; the cloud_platform addon checks the
same rules plus what only the database knows (its name, which ``{db}``
stands for, and ``ir_attachment.location``), and refuses to load when one is
violated.
"""

import re
from dataclasses import dataclass

from . import sessions
from .errors import Problem
from .storage.backends import BACKENDS
from .storage.descriptor import DB_STAND_IN
from .variable import Variable, boolean, choice, grouped

# Read before the others (:mod:`.config`): the defaults of some depend on it,
# and ``odoo-cloud check --env`` or Odoo's ``running_env`` option may stand
# in for it.
RUNNING_ENV = "RUNNING_ENV"
RUNNING_ENVIRONMENTS = ("prod", "integration", "test", "dev")
VARIABLES = grouped(
    "platform",
    Variable(
        RUNNING_ENV,
        choice(*RUNNING_ENVIRONMENTS),
        help="Running environment; falls back to Odoo's `running_env` option.",
    ),
    Variable(
        "ODOO_CLOUD_PLATFORM_UNSAFE",
        boolean,
        default=False,
        help="Turn the cloud_platform startup refusals into warnings.",
    ),
)


def variables():
    return VARIABLES


# <project> in names: the stack name of the project (``acme`` in
# ``acme-odoo-prod``), never the database name, which must not name the client.
PROJECT = "[a-z0-9][a-z0-9_-]*"
PRODUCTION_NAME = re.compile(rf"^{PROJECT}-odoo-prod(?![a-z0-9_])")
LOCATION = "ir_attachment.location"

# Where attachments go (the ``ir_attachment.location`` install() sets).
OBJECT_STORAGE = "object storage"
DATABASE = "db"
AS_CONFIGURED = "as configured"  # the configured object store, else the filestore


@dataclass(frozen=True)
class Rules:
    """What one running environment demands."""

    redis_sessions: bool  # ODOO_SESSION_REDIS=1, prefix <project>-odoo-<env>
    json_logs: bool  # ODOO_LOGGING_JSON=1
    attachments: str  # OBJECT_STORAGE (named <project>-odoo-<env>), DATABASE, ...


RULES = {
    "prod": Rules(redis_sessions=True, json_logs=True, attachments=OBJECT_STORAGE),
    "integration": Rules(
        redis_sessions=True, json_logs=True, attachments=OBJECT_STORAGE
    ),
    "test": Rules(redis_sessions=True, json_logs=False, attachments=DATABASE),
    "dev": Rules(redis_sessions=False, json_logs=False, attachments=AS_CONFIGURED),
}


REDIS_ADDRESSES = (
    "ODOO_SESSION_REDIS_URL",
    "ODOO_SESSION_REDIS_HOST",
    "ODOO_SESSION_REDIS_SENTINEL_HOST",
)


@dataclass(frozen=True)
class Violation:
    """One broken rule: the variable, what it holds (as it may be shown),
    what it should hold, and how to fix it."""

    variable: str
    value: str
    expected: str
    fix: str

    def __str__(self):
        return (
            f"{self.variable}={self.value}: expected {self.expected}\n  fix: {self.fix}"
        )


def named(env):
    """The name pattern of ``env``'s prefix, bucket and container."""
    return f"<project>-odoo-{env} (regex ^{PROJECT}-odoo-{env}$)"


def _violation(config, name, expected, fix):
    return Violation(name, config.shown(name), expected, fix)


def check_running_env(env):
    if env in RULES:
        return []
    return [
        Violation(
            "RUNNING_ENV",
            "(unset)" if env is None else repr(env),
            f"one of {', '.join(RUNNING_ENVIRONMENTS)}",
            "set RUNNING_ENV (or Odoo's running_env option) to the environment "
            "this instance runs as",
        )
    ]


def check_sessions(config, env):
    """Redis sessions, reachable, under ``<project>-odoo-<env>``."""
    if not RULES[env].redis_sessions:
        return []
    found = []
    if not config["ODOO_SESSION_REDIS"]:
        found.append(
            _violation(
                config,
                "ODOO_SESSION_REDIS",
                "1 (sessions in Redis)",
                "set ODOO_SESSION_REDIS=1 and add session_redis to Odoo's --load",
            )
        )
    if all(config.source(name) == "default" for name in REDIS_ADDRESSES):
        found.append(
            _violation(
                config,
                "ODOO_SESSION_REDIS_HOST",
                "the platform's Redis host, set explicitly",
                "set ODOO_SESSION_REDIS_HOST (or ODOO_SESSION_REDIS_URL, or "
                "ODOO_SESSION_REDIS_SENTINEL_HOST)",
            )
        )
    if not re.fullmatch(f"{PROJECT}-odoo-{env}", config["ODOO_SESSION_REDIS_PREFIX"]):
        found.append(
            _violation(
                config,
                "ODOO_SESSION_REDIS_PREFIX",
                named(env),
                f"set ODOO_SESSION_REDIS_PREFIX=<project>-odoo-{env}",
            )
        )
    return found


def check_object_storage(config, env, dbname=None):
    """The bucket or container: required and named after ``env`` where
    attachments go to object storage, never production's elsewhere."""
    configured = [b for b in BACKENDS.values() if config[b.bucket_variable]]
    found = []
    names_to_check = []
    for backend in configured:
        name = config[backend.bucket_variable].replace("{db}", dbname or DB_STAND_IN)
        if backend.bucket_name_problem(name):
            found.append(
                _violation(
                    config,
                    backend.bucket_variable,
                    f"a {backend.bucket_noun} name {backend.title} accepts once "
                    f"{{db}} is {dbname} ({name}): "
                    f"{backend.bucket_names.description}",
                    f"name the {backend.bucket_noun} without {{db}}, or rename "
                    "the database",
                )
            )
        if env != "prod" and PRODUCTION_NAME.match(name):
            found.append(
                _violation(
                    config,
                    backend.bucket_variable,
                    f"not a production name (<project>-odoo-prod) in {env}",
                    f"use the {backend.bucket_noun} of {env}, <project>-odoo-{env}: "
                    "no other environment may write into production's",
                )
            )
        elif not config[backend.unstructured_variable]:
            names_to_check.append((backend, name))
    if config["ATTACHMENT_STORAGE_REDIRECT"] != "off":
        found.extend(
            _violation(
                config,
                variable,
                f"set: ATTACHMENT_STORAGE_REDIRECT signs the downloads of "
                f"the {backend.title} {backend.bucket_noun}",
                f"set {variable}, or ATTACHMENT_STORAGE_REDIRECT=off",
            )
            for backend in configured
            for variable in backend.signing
            if not config[variable]
        )
    if RULES[env].attachments != OBJECT_STORAGE:
        return found
    if not configured:
        found.append(
            Violation(
                " or ".join(backend.bucket_variable for backend in BACKENDS.values()),
                "(unset)",
                f"an object store for the attachments of {env}, named {named(env)}",
                " or ".join(
                    f"set {backend.bucket_variable} and install {backend.addon}"
                    for backend in BACKENDS.values()
                ),
            )
        )
    if len(configured) > 1:
        found.append(
            Violation(
                " and ".join(backend.bucket_variable for backend in configured),
                "(each set)",
                "one object store: new attachments go to one of them",
                "unset the variables of the stores not used",
            )
        )
    for backend in configured:
        found.extend(_missing_credentials(config, backend))
    for backend, name in names_to_check:
        if not re.fullmatch(f"{PROJECT}-odoo-{env}", name):
            found.append(
                _violation(
                    config,
                    backend.bucket_variable,
                    named(env),
                    f"rename it <project>-odoo-{env}, or set "
                    f"{backend.unstructured_variable}=1 if the platform names it "
                    "otherwise",
                )
            )
    return found


def _missing_credentials(config, backend):
    """What ``backend`` lacks to log in: each unset variable when it has one
    set of credentials, else one violation listing the alternatives."""
    if backend.chosen_credentials(config) is not None:
        return []
    reason = (
        f"{backend.bucket_variable} names the {backend.title} {backend.bucket_noun} "
        "of new attachments"
    )
    if len(backend.credentials) == 1:
        return [
            _violation(config, variable, f"set: {reason}", f"set {variable}")
            for variable in backend.credentials[0]
            if not config[variable]
        ]
    variables = list(dict.fromkeys(v for group in backend.credentials for v in group))
    already = [variable for variable in variables if config[variable]]
    return [
        Violation(
            " or ".join(variables),
            f"(only {', '.join(already)} set)" if already else "(unset)",
            f"one complete set of credentials: {reason}",
            f"set {backend.credential_choices}",
        )
    ]


def check_logging(config, env):
    if not RULES[env].json_logs or config["ODOO_LOGGING_JSON"]:
        return []
    return [
        _violation(
            config,
            "ODOO_LOGGING_JSON",
            "1 (JSON logs)",
            "set ODOO_LOGGING_JSON=1 and add logging_json to Odoo's --load",
        )
    ]


def violations(config, env, dbname=None):
    """Every rule of ``env`` that ``config`` breaks; ``dbname`` expands
    ``{db}`` in bucket names (a stand-in is checked without it)."""
    unknown = check_running_env(env)
    if unknown:
        return unknown
    return [
        *check_sessions(config, env),
        *check_object_storage(config, env, dbname),
        *check_logging(config, env),
    ]


def attachment_location(config, env, schemes):
    """The ``ir_attachment.location`` of ``env``, given the object store
    backends installed in the database (``schemes``); None when ``env``
    demands an object store and none is both installed and configured."""
    rule = RULES[env].attachments
    if rule == DATABASE:
        return "db"
    usable = [
        b.scheme
        for b in BACKENDS.values()
        if b.scheme in schemes and config[b.bucket_variable]
    ]
    if usable:
        return usable[0]
    return None if rule == OBJECT_STORAGE else "file"


def check_location(config, env, schemes, current):
    """``ir_attachment.location`` (``current``) against :func:`attachment_location`."""
    expected = attachment_location(config, env, schemes)
    if expected is None:
        stores = " or ".join(
            f"{b.addon} ({b.bucket_variable})" for b in BACKENDS.values()
        )
        return [
            Violation(
                LOCATION,
                current or "(unset)",
                f"an object store in {env}: {' or '.join(BACKENDS)}",
                f"install and configure {stores}, then run install()",
            )
        ]
    if current != expected:
        return [
            Violation(
                LOCATION,
                current or "(unset)",
                expected,
                "run env['cloud.platform'].install() "
                "(anthem odoo.addons.cloud_platform.songs::install)",
            )
        ]
    return []


def missing_extras(config):
    """A :class:`~.errors.Problem` for each feature ``config`` turns on (a
    backend's bucket, Redis sessions) whose library, an extra of odoo-cloud,
    is not installed; found without importing any library."""
    wanted = [
        (backend.bucket_variable, backend.feature, backend.extra)
        for backend in BACKENDS.values()
        if backend.extra and config[backend.bucket_variable]
    ]
    if config["ODOO_SESSION_REDIS"]:
        wanted.append(("ODOO_SESSION_REDIS", sessions.FEATURE, sessions.EXTRA))
    found = []
    for variable, feature, extra in wanted:
        module = extra.missing_module()
        if module:
            found.append(
                Problem(
                    variable,
                    config.shown(variable),
                    f"asks for {feature}, which {extra.reason(module)}",
                )
            )
    return found
