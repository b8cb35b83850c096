"""Move attachment content between stores, in verified, committed batches.

The engine knows nothing of Odoo: the caller hands it batches of
:class:`Item` (an id, the expected sha1, and how to read the source) and a
``transfer`` to apply to each, and gets back after each batch the items that
moved, to commit before the next batch starts. A crash loses at most the
batch in flight; running again skips what was committed, and re-uploading
content-addressed objects that already exist is a no-op.
"""

import hashlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ..errors import ChecksumMismatch, SourceMissing
from .base import content_key

_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Item:
    ident: int
    checksum: str
    read: Callable[[], bytes]
    content_type: str = None


@dataclass
class Report:
    total: int = 0
    moved: int = 0
    written: int = 0
    missing: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rate(self):
        return self.moved / self.seconds if self.seconds else 0.0

    def __str__(self):
        return (
            f"{self.moved}/{self.total} moved ({self.written} written, "
            f"{self.moved - self.written} already there), {len(self.missing)} "
            f"missing, {len(self.errors)} failed, {self.rate:.1f}/s"
        )


def read_verified(item):
    """The item's bytes, checked against its recorded sha1: never move an
    empty or truncated file in place of the real content."""
    try:
        data = item.read()
    except FileNotFoundError as error:
        raise SourceMissing(str(error)) from error
    actual = hashlib.sha1(data).hexdigest()  # noqa: S324 - Odoo's checksum
    if actual != item.checksum:
        raise ChecksumMismatch(f"sha1 {actual} != {item.checksum}")
    return data


# A transfer returns (result, written): ``written`` is False when there was
# nothing to write, the content being there already.


def upload_to(store, prefix=""):
    """A transfer that uploads an item under its content key in ``store``;
    its result is the object's location."""

    def upload(item):
        data = read_verified(item)
        key = content_key(item.checksum, prefix)
        written = store.put_if_absent(key, data, item.content_type)
        return str(store.location(key)), written

    return upload


def fetch_verified(item):
    """A transfer whose result is the item's verified bytes, for the caller to
    write locally: the way back from an object store."""
    return read_verified(item), True


class Migration:
    """Runs ``transfer`` on every item, ``concurrency`` at a time, batch by batch.

    ``commit(done)`` receives ``[(item, result), ...]`` for the batch's
    successful items and must make them durable before returning: the next
    batch only starts then.
    """

    def __init__(self, transfer, commit, concurrency=8, logger=_logger):
        self.transfer = transfer
        self.commit = commit
        self.concurrency = concurrency
        self.logger = logger

    def run(self, batches, total):
        report = Report(total=total)
        started = time.monotonic()
        with ThreadPoolExecutor(self.concurrency) as pool:
            for batch in batches:
                outcomes = pool.map(self._attempt, batch)
                done = []
                for item, result, error in outcomes:
                    if isinstance(error, SourceMissing):
                        report.missing.append(item.ident)
                        self.logger.warning(
                            "attachment %s: source missing, skipped: %s",
                            item.ident,
                            error,
                        )
                    elif error is not None:
                        report.errors.append((item.ident, str(error)))
                        self.logger.error(
                            "attachment %s not moved: %s", item.ident, error
                        )
                    else:
                        done.append((item, result))
                self.commit(done)
                report.moved += len(done)
                report.written += sum(1 for _, (_, written) in done if written)
                report.seconds = time.monotonic() - started
                self._log_progress(report)
        return report

    def _attempt(self, item):
        try:
            return item, self.transfer(item), None
        except Exception as error:  # reported per item, never lost
            return item, None, error

    def _log_progress(self, report):
        processed = report.moved + len(report.missing) + len(report.errors)
        remaining = report.total - processed
        eta = (
            remaining / (processed / report.seconds)
            if processed and report.seconds
            else 0
        )
        self.logger.info(
            "attachment migration: %d/%d done, %d missing, %d failed, %.1f/s, ETA %ds",
            processed, report.total, len(report.missing), len(report.errors),
            report.rate, eta,
        )  # fmt: skip
