"""Which object keys and bucket names a request may carry: none that leaves
its bucket.

A key is a path below the bucket's in the request's URL, and the HTTP stack
under each store's library normalises that path before sending it (``..``
climbs one level), so that ``../acme-odoo-prod/ab/ab12...`` reaches another
bucket. Rather than list the spellings of a climb (``..``, ``%2e%2e``,
``..\\``, ``\uff0e\uff0e``), a key may hold only the characters of the keys
the suite writes (``<prefix><db uuid>/<sha1[:2]>/<sha1>``,
``<prefix><db uuid>/holds/<uuid>``, Swift's segment names), and none of its
parts between slashes may be empty, ``.`` or ``..``.
"""

import re

# S3, Swift and Azure all refuse longer object names.
MAX_KEY_BYTES = 1024
# What a prefix may take of a key: the rest holds a database name of up to 63
# characters (PostgreSQL's limit) for ``{db}``, the content key (80) and
# Swift's segment suffix (40).
MAX_PREFIX_LENGTH = 512
KEY_CHARACTERS = "letters, digits, '.', '-', '_' and '/'"
_KEY = re.compile(r"[A-Za-z0-9._/-]*")
CLIMBING_PARTS = {"", ".", ".."}


def key_problem(key, prefix=False):
    """Why a request for ``key`` could leave its bucket, or None.

    A ``prefix`` is continued by what follows it: its last part may be
    empty (``acme/``, or no prefix at all)."""
    if len(key.encode()) > MAX_KEY_BYTES:
        return f"is longer than {MAX_KEY_BYTES} bytes"
    if not _KEY.fullmatch(key):
        return f"may hold only {KEY_CHARACTERS}"
    parts = key.split("/")
    if prefix and not parts[-1]:
        parts.pop()
    if CLIMBING_PARTS.intersection(parts):
        return (
            "must be parts joined by single slashes, none of them '.' or '..' "
            "(no leading '/', './' or '../', no '//', '/./' or '/../')"
        )
    return None


def bucket_problem(name):
    """Why a bucket (or container) named ``name`` would not be one bucket of
    the account: a URL path step like ``..``, or a name with a slash."""
    if name in CLIMBING_PARTS or "/" in name:
        return "must not be empty, '.' or '..', nor hold '/'"
    return None
