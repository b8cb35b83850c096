"""What the session store raises while Redis cannot be reached; it needs no
redis, so that whoever catches it can be loaded without it."""

import re

from ..unreachable import cause

# How redis-py names the node it could not reach: "Error 111 connecting to
# 127.0.0.1:7001. Connection refused."
FAILED_NODE = re.compile(r"connecting to (\S+:\d+)")


class SessionStoreUnavailable(Exception):
    """Redis did not answer: the request cannot be served (HTTP 503), but
    nothing is lost and nothing should crash.

    The message names the node that failed when it is not the configured
    address: a cluster's master, or the master a Sentinel named."""

    def __init__(self, address, error):
        self.address = address
        reason = cause(error)
        node = FAILED_NODE.search(str(error))
        if node and node[1] not in address:
            reason = f"{node[1]}: {reason}"
        super().__init__(f"Redis session store at {address} is unreachable ({reason})")
