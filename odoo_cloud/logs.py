"""JSON log lines: the formatter, secret redaction and the request id.

Log platforms (Elasticsearch, Loki, cloud log services) index fields; Odoo's
text lines force them to parse response times and rates out of prose. The
formatter here writes one JSON object per record, with the request id, the
database and the user as fields, and access lines split into numbers.

It builds on python-json-logger (2.x to 4.x) and never raises: a logging call
that cannot be formatted must still leave a line, not an exception in the
middle of a request. Secrets are masked on the way out, in the message, the
stack and every extra field, whatever the caller passed.

Nothing here imports Odoo: the ``logging_json`` addon supplies the Odoo
context (database, user, SQL counters) and calls :func:`start_request` and
:func:`end_request` around each HTTP request.
"""

import contextvars
import datetime
import json
import logging
import re
import time
import uuid
from typing import NamedTuple

import orjson

from .masking import KEY_HINTS, MASK, mask, mentions
from .variable import Variable, boolean, choice, grouped

try:  # python-json-logger >= 3.1
    from pythonjsonlogger.json import JsonFormatter as _JsonFormatter
except ImportError:  # 2.x and 3.0
    from pythonjsonlogger.jsonlogger import JsonFormatter as _JsonFormatter

SCHEMES = ("plain", "ecs")
REQUEST_ID_HEADER = "X-Request-ID"

VARIABLES = grouped(
    "logging",
    Variable(
        "ODOO_LOGGING_JSON",
        boolean,
        default=False,
        help="Write logs as one JSON object per line (logging_json).",
    ),
    Variable(
        "ODOO_LOGGING_JSON_FIELDS",
        choice(*SCHEMES),
        default="plain",
        help="Field names of JSON logs: `plain` or `ecs` (Elastic Common Schema).",
    ),
)


def variables():
    return VARIABLES


# --- request id --------------------------------------------------------------

# A ContextVar, not a thread attribute: it is per thread in the threaded and
# prefork servers and per greenlet in the gevent process.
_request_id = contextvars.ContextVar("odoo_cloud_request_id", default=None)
# A proxy's id is copied into every line: refuse what could forge or break one.
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
_TRACEPARENT = re.compile(r"[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}")


def request_id_from(x_request_id=None, traceparent=None):
    """The id of a request: the proxy's ``X-Request-ID``, else the trace id of
    a W3C ``traceparent``, else a new one."""
    if x_request_id and _VALID_REQUEST_ID.fullmatch(x_request_id.strip()):
        return x_request_id.strip()
    match = traceparent and _TRACEPARENT.fullmatch(traceparent.strip().lower())
    if match and match[1] != "0" * 32:
        return match[1]
    return uuid.uuid4().hex


def start_request(x_request_id=None, traceparent=None):
    """Make the request's id the one of every line logged until
    :func:`end_request`; return it, to be echoed in the response."""
    request_id = request_id_from(x_request_id, traceparent)
    _request_id.set(request_id)
    return request_id


def end_request():
    """Forget the id, so that a thread reused for other work (or for a request
    that never reaches :func:`start_request`) does not log a stale one."""
    _request_id.set(None)


# --- redaction ---------------------------------------------------------------

_MAX_DEPTH = 8


class Redactor:
    """Masks secrets in text and in nested extra fields.

    Two nets: what a secret looks like (:func:`odoo_cloud.masking.mask`: a
    password field, an ``Authorization`` header, a URL's password) and the
    literal values of
    the suite's own secret variables, wherever they appear.
    """

    def __init__(self, secrets=()):
        # Longest first, so that a secret containing another is masked whole.
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    @classmethod
    def from_config(cls, config):
        return cls(
            str(setting.value.reveal())
            for setting in config.settings.values()
            if setting.variable.secret and setting.value is not None
        )

    def text(self, value):
        for secret in self.secrets:
            if secret in value:
                value = value.replace(secret, MASK)
        return mask(value)

    def value(self, value, depth=0):
        """``value`` with its secrets masked: sensitive keys lose their value."""
        if isinstance(value, str):
            return self.text(value)
        if depth >= _MAX_DEPTH:
            return value
        if isinstance(value, dict):
            return {
                key: MASK
                if isinstance(key, str) and mentions(key, KEY_HINTS)
                else self.value(item, depth + 1)
                for key, item in value.items()
            }
        if isinstance(value, (list, tuple, set, frozenset)):
            return [self.value(item, depth + 1) for item in value]
        return value


# --- formatting --------------------------------------------------------------

# Attributes every record has (Odoo adds perf_info, its DBFormatter pid and
# dbname): whatever else a record carries is an extra field of the caller.
_RECORD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__
) | {"message", "asctime", "perf_info", "pid", "dbname", "taskName"}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# werkzeug's access line: '<address> - - [<date>] "%s" %s %s\n' with the
# request line, the status and the size as arguments.
_ACCESS_LINE = re.compile(r'(\S*) - - \[[^\]]*\] "%s" %s %s\s*')

ECS_VERSION = "8.11.0"
_ECS_NAMES = {
    "timestamp": "@timestamp",
    "level": "log.level",
    "logger": "log.logger",
    "pid": "process.pid",
    "db": "odoo.db",
    "uid": "user.id",
    "request_id": "http.request.id",
    "env": "service.environment",
    "error_type": "error.type",
    "error_message": "error.message",
    "error_stack": "error.stack_trace",
    "stack_info": "log.origin.stack_trace",
    "remote_addr": "client.address",
    "method": "http.request.method",
    "path": "url.path",
    "query": "url.query",
    "rpc_method": "odoo.rpc.method",
    "protocol": "http.version",
    "status": "http.response.status_code",
    "size": "http.response.body.bytes",
    "sql_count": "odoo.sql.count",
    "sql_time_ms": "odoo.sql.time_ms",
}


def to_ecs(fields):
    """``fields`` under Elastic Common Schema names (event.duration is in ns)."""
    ecs = {_ECS_NAMES.get(key, key): value for key, value in fields.items()}
    duration = ecs.pop("duration_ms", None)
    if duration is not None:
        ecs["event.duration"] = int(duration * 1_000_000)
    if "http.version" in ecs:
        ecs["http.version"] = ecs["http.version"].removeprefix("HTTP/")
    ecs["ecs.version"] = ECS_VERSION
    return ecs


_last_second = (None, "")


def iso_timestamp(created):
    """ISO 8601 in UTC with milliseconds, e.g. 2024-05-01T12:00:00.123Z."""
    global _last_second  # a one-entry cache: strftime is slow
    seconds = int(created)
    cached_second, text = _last_second
    if seconds != cached_second:
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        _last_second = (seconds, text)
    return f"{text}.{int((created - seconds) * 1000):03d}Z"


class AccessLine(NamedTuple):
    """A werkzeug access line, split."""

    remote_addr: str
    method: str
    target: str
    protocol: str
    status: str
    size: str

    @property
    def path(self):
        """The target without its query, nor the RPC method Odoo (since 19.0)
        appends as a fragment: "/web/dataset/call_kw#res.partner.read"."""
        return self.target.partition("#")[0].partition("?")[0]


def access_line(record):
    """``record`` as an :class:`AccessLine`; None when it is another line."""
    if record.name != "werkzeug" or not isinstance(record.args, tuple):
        return None
    match = len(record.args) == 3 and _ACCESS_LINE.fullmatch(str(record.msg))
    if not match:
        return None
    request_line, status, size = (_ANSI.sub("", str(arg)) for arg in record.args)
    method, _, rest = request_line.partition(" ")
    target, _, protocol = rest.rpartition(" ")
    return AccessLine(match[1], method, target, protocol, status, size)


def access_fields(record, redactor):
    """Method, path, status... of a werkzeug access line; None for another line."""
    line = access_line(record)
    if line is None:
        return None
    # A request target has no fragment: Odoo (since 19.0) appends the model
    # and method of an RPC call as one, "/web/dataset/call_kw#res.partner.read".
    target, _, rpc_method = line.target.partition("#")
    query = target.partition("?")[2]
    fields = {"remote_addr": line.remote_addr, "method": line.method}
    fields["path"] = line.path
    if query:
        fields["query"] = redactor.text(query)
    if rpc_method:
        fields["rpc_method"] = rpc_method
    fields["protocol"] = line.protocol
    fields["status"] = int(line.status) if line.status.isdigit() else line.status
    if line.size.isdigit():
        fields["size"] = int(line.size)
    return fields


def _safe_repr(value):
    try:
        return repr(value)
    except Exception:
        return f"<{type(value).__qualname__} with a failing repr>"


def _json_default(value):
    """What JSON cannot hold: sets as lists, bytes as text, the rest marked
    unserialisable."""
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return f"<unserialisable {type(value).__qualname__}: {_safe_repr(value)}>"


def _exception_type(exc_type):
    if exc_type.__module__ == "builtins":
        return exc_type.__qualname__
    return f"{exc_type.__module__}.{exc_type.__qualname__}"


class JsonFormatter(_JsonFormatter):
    """One JSON object per record, secrets masked; never raises.

    ``context`` returns the fields of the code running the log call (for
    Odoo: the database and the user of the thread); ``scheme`` picks the
    field names, ``plain`` or ``ecs``.
    """

    def __init__(self, scheme="plain", environment=None, redactor=None, context=None):
        if scheme not in SCHEMES:
            raise ValueError(f"unknown field naming scheme {scheme!r}")
        super().__init__()
        self.scheme = scheme
        self.environment = environment
        self.redactor = redactor or Redactor()
        self.context = context

    def format(self, record):
        try:
            return super().format(record)
        except Exception as error:
            return self.format_failure(record, error)

    def add_fields(self, log_record, record, message_dict):
        redact = self.redactor.text
        message = record.message
        if "\x1b" in message:
            message = _ANSI.sub("", message)
        fields = {
            "timestamp": iso_timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(message.rstrip()),
            "pid": record.process,
        }
        # Fields without a value are left out, not written as null.
        if self.context is not None:
            for key, value in self.context().items():
                if value is not None:
                    fields[key] = value
        request_id = _request_id.get()
        if request_id is not None:
            fields["request_id"] = request_id
        if self.environment is not None:
            fields["env"] = self.environment
        if record.name == "werkzeug":
            fields.update(access_fields(record, self.redactor) or ())
        attributes = record.__dict__
        extras = {
            key: attributes[key]
            for key in attributes.keys() - _RECORD_ATTRIBUTES
            if attributes[key] is not None
        }
        extras.update(message_dict)
        stack = extras.pop("exc_info", None)
        if record.exc_info and record.exc_info[0] is not None:
            fields["error_type"] = _exception_type(record.exc_info[0])
            fields["error_message"] = redact(_message_of(record.exc_info[1]))
        if stack:
            fields["error_stack"] = redact(str(stack))
        if extras:
            fields.update(self.redactor.value(extras))
        log_record.update(to_ecs(fields) if self.scheme == "ecs" else fields)

    def jsonify_log_record(self, log_record):
        # orjson: the standard library's encoder alone takes as long as
        # Odoo's whole text formatting of a record.
        return orjson.dumps(
            log_record, default=_json_default, option=orjson.OPT_NON_STR_KEYS
        ).decode()

    def format_failure(self, record, error):
        """The line of a record that could not be formatted, with the reason."""
        try:
            message = record.getMessage()
        except Exception:
            message = f"{_safe_repr(record.msg)} % {_safe_repr(record.args)}"
        fields = {
            "timestamp": iso_timestamp(time.time()),
            "level": logging.getLevelName(getattr(record, "levelno", logging.ERROR)),
            "logger": str(getattr(record, "name", "")),
            "message": self.redactor.text(str(message)),
            "pid": getattr(record, "process", None),
            "request_id": _request_id.get(),
            "env": self.environment,
            "log_error": self.redactor.text(
                f"could not format this record: {type(error).__name__}: "
                f"{_message_of(error)}"
            ),
        }
        if self.scheme == "ecs":
            fields = to_ecs(fields)
        return json.dumps(fields, default=_safe_repr, ensure_ascii=False)


def _message_of(exception):
    try:
        return str(exception)
    except Exception:
        return _safe_repr(exception)


def formatter_from_config(config, context=None):
    """The formatter an Odoo process installs, as the configuration asks."""
    return JsonFormatter(
        scheme=config["ODOO_LOGGING_JSON_FIELDS"],
        environment=config.running_env,
        redactor=Redactor.from_config(config),
        context=context,
    )


def install(formatter, logger=None):
    """Put ``formatter`` on every handler of ``logger`` (the root logger)."""
    for handler in (logger or logging.getLogger()).handlers:
        handler.setFormatter(formatter)
