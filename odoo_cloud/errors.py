"""Every error the suite raises, in one tree.

:class:`OdooCloudError` is the root. Under it, each error is of one kind,
which tells its caller what to do:

- :class:`ConfigError`: a setting (or the installation, :mod:`.extras`) is
  wrong; nothing works until an operator fixes it.
- :class:`Unavailable`: a store a request needs does not answer; it is
  answered 503 (:mod:`.unavailable_page`) and works again once the store
  answers. :attr:`Unavailable.service` names the store.
- :class:`Refused`: a request or a configuration breaks a rule; it is not
  carried out.
- :class:`NotFound`: what was asked for does not exist.
- :class:`MigrationError`: one attachment cannot be moved; the migration
  reports it and goes on.

The errors of an object store also share :class:`StorageError`, whatever
their kind, so that a caller may catch every failure of a store at once.
"""

import re
from dataclasses import dataclass

from .unreachable import cause

# How redis-py names the node it could not reach: "Error 111 connecting to
# 127.0.0.1:7001. Connection refused."
FAILED_NODE = re.compile(r"connecting to (\S+:\d+)")


class OdooCloudError(Exception):
    """An error of the suite."""


# --- the kinds ---------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """Why a setting cannot be used: the variable (or variables) at fault, or
    the feature when its installation is (:mod:`.extras`), its value as it may
    be shown (secrets masked; None when the value is not the point) and the
    reason, worded to follow them."""

    variable: str
    value: object
    reason: str

    def __str__(self):
        shown = "" if self.value is None else f"={self.value}"
        return f"{self.variable}{shown} {self.reason}"


class ConfigError(OdooCloudError, ValueError):
    """One or more variables hold a value the suite cannot use: each
    :class:`Problem`, one a line."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(map(str, self.problems)))


class Unavailable(OdooCloudError):
    """A store does not answer (a timeout, a refused connection, a 5xx): the
    request cannot be served now (HTTP 503), and nothing is lost."""

    # The store that does not answer, as the 503 page names it ("Reason:
    # the session store does not answer."): each outage names its own.
    service: str


class Refused(OdooCloudError):
    """A request or a configuration breaks a rule of the suite: it is not
    carried out."""


class NotFound(OdooCloudError):
    """What was asked for does not exist."""


class MigrationError(OdooCloudError):
    """One item of a migration cannot be moved."""


# --- object storage ----------------------------------------------------------


class StorageError(OdooCloudError):
    """The object store refused or failed an operation."""


class ObjectNotFound(StorageError, NotFound):
    """The object does not exist: the equivalent of a missing local file."""


class StorageUnavailable(StorageError, Unavailable):
    """The object store cannot be reached or failed (timeout, 5xx): retry later."""

    service = "the file storage"


class OutsideBucket(StorageError, Refused):
    """A request for this key or bucket could reach another bucket: it is
    not sent."""


class NoSignedURL(StorageError):
    """The store cannot give a URL serving this download with the headers
    asked: Odoo serves it itself."""


class SourceMissing(MigrationError):
    """The content to move is gone (a filestore file deleted by hand, ...)."""


class ChecksumMismatch(MigrationError):
    """The content read does not have the sha1 recorded for it."""


# --- sessions ----------------------------------------------------------------


class SessionStoreUnavailable(Unavailable):
    """Redis did not answer: the request cannot be served (HTTP 503), but
    nothing is lost and nothing should crash.

    The message names the node that failed when it is not the configured
    address: a cluster's master, or the master a Sentinel named."""

    service = "the session store"

    def __init__(self, address, error):
        self.address = address
        reason = cause(error)
        node = FAILED_NODE.search(str(error))
        if node and node[1] not in address:
            reason = f"{node[1]}: {reason}"
        super().__init__(f"Redis session store at {address} is unreachable ({reason})")


# --- the platform's rules ----------------------------------------------------


class PlatformError(Refused):
    """The configuration breaks rules of the running environment: a line
    naming the environment, then one item per rule (``violations``, each
    with its fix)."""

    def __init__(self, running_env, violations):
        self.running_env = running_env
        self.violations = list(violations)
        count = len(self.violations)
        head = (
            f"RUNNING_ENV={running_env or '(unset)'}: {count} platform "
            f"rule{'s' if count > 1 else ''} violated"
        )
        lines = [head, *(f"- {violation}" for violation in self.violations)]
        super().__init__("\n".join(lines))
