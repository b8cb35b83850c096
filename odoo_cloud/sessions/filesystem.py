"""Odoo's filesystem sessions: import them into Redis, or expire them.

Odoo (18.0 and 19.0 alike) keeps session ``sid`` in
``<session_dir>/<sid[:2]>/<sid>``, a JSON file whose modification time is
the last save. Both functions walk that layout with ``os.scandir``, one
entry at a time, so that a directory of millions of sessions on shared
storage is never listed whole into memory.
"""

import json
import os
import re
import time
from collections import Counter

# Odoo's session keys: 84 characters of URL-safe base64.
SID = re.compile(r"^[A-Za-z0-9_-]{84}$")


def session_files(directory):
    """``os.DirEntry`` of every session file under ``directory``."""
    with os.scandir(directory) as buckets:
        for bucket in buckets:
            if len(bucket.name) != 2 or not bucket.is_dir(follow_symlinks=False):
                continue
            with os.scandir(bucket.path) as entries:
                for entry in entries:
                    if SID.match(entry.name) and entry.is_file(follow_symlinks=False):
                        yield entry


def _age(entry, now):
    return now - entry.stat(follow_symlinks=False).st_mtime


def import_sessions(directory, sessions, dry_run=False, now=None):
    """Copy the live sessions of ``directory`` into ``sessions``
    (:class:`~odoo_cloud.sessions.store.RedisSessions`).

    A session keeps the lifetime it had left on disk; a key already in
    Redis is newer than the file and is kept. Returns counts by outcome:
    ``imported``, ``present``, ``expired``, ``unreadable``.
    """
    now = time.time() if now is None else now
    counts = Counter()
    for entry in session_files(directory):
        try:
            with open(entry.path, encoding="utf-8") as file:
                data = json.load(file)
        except (OSError, ValueError):
            data = None
        if not isinstance(data, dict):
            counts["unreadable"] += 1
            continue
        left = int(sessions.default_lifetime(data) - _age(entry, now))
        if left <= 0:
            counts["expired"] += 1
        elif dry_run or sessions.write(
            entry.name, data, expires_in=left, only_new=True
        ):
            counts["imported"] += 1
        else:
            counts["present"] += 1
    return counts


def vacuum(directory, max_age, dry_run=False, now=None):
    """Delete the sessions of ``directory`` not saved for ``max_age`` seconds.

    Returns counts: ``removed`` and ``kept``.
    """
    threshold = (time.time() if now is None else now) - max_age
    counts = Counter()
    for entry in session_files(directory):
        try:
            old = entry.stat(follow_symlinks=False).st_mtime < threshold
            if old and not dry_run:
                os.unlink(entry.path)
        except FileNotFoundError:
            continue  # removed meanwhile, by Odoo's logout or another cleaner
        counts["removed" if old else "kept"] += 1
    return counts
