"""What a variable of the suite is: its name, the type of its value, its
default, whether it is a secret; and the value types themselves.

Each feature declares its variables with these, next to its code
(:mod:`.platform`, :mod:`.sessions.variables`, ...); :mod:`.config` collects
them and reads the environment. A value type is a function of the raw string
that returns the typed value or raises ValueError with the reason, which the
caller prefixes with the variable's name.
"""

import dataclasses
import ipaddress
import os
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from .masking import MASK, mask


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

    parse_integer.bounds = (minimum, maximum)
    return parse_integer


port = integer(1, 65535, unit="a TCP/UDP port number (1-65535)")
# The longest wait a timeout may be: the libraries under the suite turn a
# timeout into milliseconds in a 32-bit int (poll()) or nanoseconds in a
# 64-bit one (Python's sockets), and a day is far past any useful wait.
MAX_TIMEOUT = 24 * 3600
# The longest lifetime of a session or grace period: Redis refuses an expiry
# whose date overflows 64-bit milliseconds, PostgreSQL an interval past its
# range; past ten years, a lifetime is a mistake.
MAX_LIFETIME = 10 * 365 * 24 * 3600
seconds = integer(1, MAX_TIMEOUT, unit="a whole number of seconds")


def lifetime(minimum=1, maximum=MAX_LIFETIME):
    """A whole number of seconds from ``minimum`` to ``maximum``."""
    return integer(minimum, maximum, unit="a whole number of seconds")


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
    """A timeout: a number of seconds above 0 and up to :data:`MAX_TIMEOUT`;
    fractions allowed (``0.5``)."""
    try:
        number = float(raw.strip())
    except ValueError:
        raise ValueError("is not a number of seconds") from None
    if not 0 < number <= MAX_TIMEOUT:
        raise ValueError(f"must be a number of seconds > 0 and <= {MAX_TIMEOUT}")
    return number


duration.bounds = ("> 0", MAX_TIMEOUT)


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
        return mask(str(value))


def grouped(group, *members):
    """The variables ``members`` as members of ``group``, the heading they
    are listed under and the unit :func:`.config.load` checks."""
    return tuple(dataclasses.replace(variable, group=group) for variable in members)
