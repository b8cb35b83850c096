"""The variables of attachments in object storage: those every backend
shares, then each backend's, from its descriptor."""

import re

from ..variable import (
    Variable,
    boolean,
    choice,
    grouped,
    integer,
    lifetime,
    storage_rules,
)
from .backends import BACKENDS
from .descriptor import DB_STAND_IN
from .keys import MAX_PREFIX_LENGTH, key_problem
from .redirect import OFF, SIGNED_URL, X_ACCEL_REDIRECT

# S3 refuses a presigned URL valid for longer than a week (SigV4); Swift's
# and Azure's signatures take the same bound, so that a store can replace
# another.
MAX_SIGNED_URL_LIFETIME = 7 * 24 * 3600
# The largest object S3 stores, larger than Swift's and Azure's.
MAX_OBJECT_SIZE = 5 * 1024**4
# Attachments read, uploaded and committed at once.
MAX_BATCH_SIZE = 10_000
_LOCATION = re.compile(r"/([A-Za-z0-9._~-]+/)*")


def redirect_location(raw):
    """An nginx location: a path of letters, digits, ``.``, ``_``, ``~`` and
    ``-`` between slashes, sent in a header (so no space nor line break)."""
    if not _LOCATION.fullmatch(raw):
        raise ValueError(
            "must be a path starting and ending with '/', of letters, digits, "
            "'.', '_', '~' and '-' between slashes"
        )
    return raw


def key_prefix(raw):
    """A key prefix that keeps every key in its bucket (:mod:`.keys`), of at
    most :data:`MAX_PREFIX_LENGTH` characters."""
    if len(raw) > MAX_PREFIX_LENGTH:
        raise ValueError(f"is longer than {MAX_PREFIX_LENGTH} characters")
    problem = key_problem(raw.replace("{db}", DB_STAND_IN), prefix=True)
    if problem:
        raise ValueError(problem)
    return raw


SHARED = grouped(
    "attachments",
    Variable(
        "DISABLE_ATTACHMENT_STORAGE",
        boolean,
        default=False,
        help="Never contact the object store; new attachments go to the database.",
    ),
    Variable(
        "ATTACHMENT_STORAGE_KEY_PREFIX",
        key_prefix,
        default="",
        help="Prefix of every object key; `{db}` becomes the database name. "
        f"Up to {MAX_PREFIX_LENGTH} letters, digits, `.`, `-`, `_` and `/`; "
        "no leading `/`, no `//`, `/./` or `/../`.",
    ),
    Variable(
        "ATTACHMENT_STORAGE_FORCE_DB",
        storage_rules,
        default=storage_rules("text/css,application/javascript,image/:51200"),
        help="Content kept in the database: `mimetype-prefix[:max-bytes]`, "
        "comma-separated.",
    ),
    Variable(
        "ATTACHMENT_STORAGE_GC_GRACE",
        lifetime(0),
        default=3600,
        help="Age in seconds before an unreferenced object may be garbage-collected.",
    ),
    Variable(
        "ATTACHMENT_STORAGE_GC_DRY_RUN",
        boolean,
        default=False,
        help="Log what the garbage collector would delete, delete nothing.",
    ),
    Variable(
        "ATTACHMENT_STORAGE_CONCURRENCY",
        integer(1, 64),
        default=8,
        help="Parallel transfers when attachments are migrated between stores.",
    ),
    Variable(
        "ATTACHMENT_STORAGE_BATCH_SIZE",
        integer(1, MAX_BATCH_SIZE),
        default=200,
        help="Attachments migrated, and committed, per batch.",
    ),
    Variable(
        "ATTACHMENT_STORAGE_REDIRECT",
        choice(OFF, SIGNED_URL, X_ACCEL_REDIRECT),
        default=OFF,
        help="Large private downloads, once Odoo checked access: `signed-url` "
        "redirects the browser to a short-lived URL of the store, "
        "`x-accel-redirect` has nginx fetch it; `off`: Odoo streams them.",
    ),
    Variable(
        "ATTACHMENT_STORAGE_REDIRECT_MIN_SIZE",
        integer(0, MAX_OBJECT_SIZE, unit="a number of bytes"),
        default=1024**2,
        help="Bytes from which a download is offloaded to the store.",
    ),
    Variable(
        "ATTACHMENT_STORAGE_REDIRECT_TTL",
        lifetime(1, MAX_SIGNED_URL_LIFETIME),
        default=300,
        help="Lifetime in seconds of the signed URL of an offloaded download.",
    ),
    Variable(
        "ATTACHMENT_STORAGE_REDIRECT_LOCATION",
        redirect_location,
        default="/object-storage/",
        help="nginx internal location `X-Accel-Redirect` points to, followed "
        "by `<scheme>/<host>/<path>?<query>` of the signed URL; nginx sends it "
        "to Odoo as `X-Object-Storage-Location`, else Odoo serves the download.",
    ),
)


def variables():
    return (*SHARED, *(v for backend in BACKENDS.values() for v in backend.variables))
