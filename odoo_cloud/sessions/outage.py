"""One ERROR line per Redis outage, however many processes see it.

Prefork workers are forked from the process that creates an :class:`Outage`,
so its flag lives in shared memory: the first worker that fails reports the
outage, the others stay quiet, and the first success in any worker reports
the recovery. Without this every request would log its own traceback.
"""

import multiprocessing


class Outage:
    """Whether Redis is currently known to be unreachable."""

    def __init__(self):
        self._down = multiprocessing.Value("b", 0)

    def begins(self):
        """Mark Redis down; true only for the failure that starts the outage."""
        with self._down.get_lock():
            first = not self._down.value
            self._down.value = 1
        return first

    def ends(self):
        """Mark Redis up; true only for the success that ends an outage."""
        # An unlocked read first: the healthy case is every request.
        if not self._down.value:
            return False
        with self._down.get_lock():
            was_down = bool(self._down.value)
            self._down.value = 0
        return was_down
