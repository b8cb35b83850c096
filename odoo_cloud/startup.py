"""How a feature that was asked for refuses to start.

Odoo only logs an ordinary exception raised while it loads a server-wide
module, then serves without it: sessions in ``session_dir``, text logs, no
metrics. A feature set up in :func:`refusing_to_start` stops Odoo instead,
whatever the error, with one line naming the feature and the reason, secrets
masked.
"""

import contextlib

from .errors import ConfigError
from .masking import mask


def reason(error):
    """``error`` in one line: the suite's own errors say what is wrong, a
    library's also say what they are."""
    if isinstance(error, ConfigError):
        return "; ".join(map(str, error.problems))
    text = " ".join(str(error).split())
    if not type(error).__module__.startswith("odoo_cloud"):
        text = f"{type(error).__name__}: {text}" if text else type(error).__name__
    return mask(text)


@contextlib.contextmanager
def refusing_to_start(feature):
    """Turn any error of the block into ``SystemExit`` naming ``feature``."""
    try:
        yield
    except Exception as error:
        raise SystemExit(f"{feature}: {reason(error)}") from None
