"""Why a server did not answer, in the few words a log line needs.

Clients wrap the operating system's error in layers of their own: redis-py
says "Error 111 connecting to 127.0.0.1:6379. Connection refused.", requests
and botocore add a URL, a retry count and a connection object's repr. The
reason is the error the operating system gave underneath: "Connection
refused", "Name or service not known", "timed out", the last with the limit
urllib3 (under requests and botocore) names, "(read timeout=60)".
"""

import re

TIMEOUT_LIMIT = re.compile(r"\((?:connect|read|total) timeout=[^)]*\)")


def cause(error):
    """The operating system's words for ``error``, or else the first line of
    its message."""
    links = list(_chain(error))
    for link in links:
        if isinstance(link, TimeoutError):
            limits = (TIMEOUT_LIMIT.search(str(other)) for other in links)
            limit = next(filter(None, limits), None)
            return f"timed out {limit[0]}" if limit else "timed out"
        if isinstance(link, OSError) and link.strerror:
            return link.strerror
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def _chain(error):
    """``error`` then, outermost first, the errors it was raised from or
    while handling, and those clients keep as an argument (requests), as
    their ``reason`` (urllib3) or ``inner_exception`` (azure-core)."""
    seen = set()
    pending = [error]
    while pending:
        link = pending.pop(0)
        if id(link) in seen:
            continue
        seen.add(id(link))
        yield link
        nested = (
            link.__cause__,
            link.__context__,
            getattr(link, "reason", None),
            getattr(link, "inner_exception", None),
        )
        pending.extend(
            inner for inner in (*nested, *link.args) if isinstance(inner, BaseException)
        )
