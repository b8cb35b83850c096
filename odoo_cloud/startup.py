"""How a feature that was asked for refuses to start.

Odoo only logs an ordinary exception raised while it loads a server-wide
module, then serves without it: sessions in ``session_dir``, text logs, no
metrics. A feature set up in :func:`refusing_to_start` stops Odoo instead,
whatever the error, with one line naming the feature and the reason, secrets
masked.

Only the main thread can stop the process: ``SystemExit`` raised in any other
thread ends that thread alone, and leaves whatever it served without an
answer. There the same line is :class:`NotSetUp`, an ordinary error, which
fails what needed the feature.
"""

import contextlib
import threading

from .errors import ConfigError, OdooCloudError
from .masking import mask


class NotSetUp(OdooCloudError):
    """A feature could not be set up in a thread that cannot stop the
    process."""


def reason(error):
    """``error`` in one line: the suite's own errors say what is wrong, a
    library's also say what they are."""
    if isinstance(error, ConfigError):
        return "; ".join(map(str, error.problems))
    text = " ".join(str(error).split())
    if not type(error).__module__.startswith("odoo_cloud"):
        text = f"{type(error).__name__}: {text}" if text else type(error).__name__
    return mask(text)


def in_main_thread():
    """True in the thread whose ``SystemExit`` stops the process."""
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def refusing_to_start(feature):
    """Turn any error of the block into ``SystemExit`` naming ``feature``,
    or into :class:`NotSetUp` outside the main thread."""
    try:
        yield
    except Exception as error:
        line = f"{feature}: {reason(error)}"
        if in_main_thread():
            raise SystemExit(line) from None
        raise NotSetUp(line) from None
