"""One ERROR line per Redis outage, however many processes see it.

Prefork workers are forked from the process that creates an :class:`Outage`,
so its flag lives in shared memory: the first worker that fails reports the
outage, the others stay quiet, and the first success in any worker reports
the recovery. Without this every request would log its own traceback.

A Redis Cluster fails in parts: while a master is down, the keys of its hash
slots fail and the other masters' keys answer. There a failure records the
slot of its key, and only a success in a recorded slot ends the outage, so
that the masters still up do not report a recovery at each request.
"""

import ctypes
import multiprocessing

from . import EXTRA, FEATURE

with EXTRA.needed_by(FEATURE):
    from redis.crc import REDIS_CLUSTER_HASH_SLOTS, key_slot

UP, DOWN_IN_SLOTS, DOWN = 0, 1, 2


class Outage:
    """Whether Redis is currently known to be unreachable, and for a
    ``cluster``, in which slots.

    A failure or a success without a key (a PING, an operation on many keys)
    concerns the whole of Redis.
    """

    def __init__(self, cluster=False):
        self.cluster = cluster
        # Read without the lock in the healthy case, every request.
        self._down = multiprocessing.RawValue("b", UP)
        self._lock = multiprocessing.Lock()
        # Guarded by ``_lock``, as every write of ``_down``.
        self._failed_slots = (
            multiprocessing.RawArray("b", REDIS_CLUSTER_HASH_SLOTS) if cluster else None
        )

    def _slot(self, key):
        return key_slot(key.encode()) if self.cluster and key is not None else None

    def begins(self, key=None):
        """Mark Redis down, for a cluster in the slot of ``key``; true only
        for the failure that starts the outage."""
        slot = self._slot(key)
        with self._lock:
            first = self._down.value == UP
            if slot is None:
                self._down.value = DOWN
            else:
                self._failed_slots[slot] = 1
                self._down.value = max(self._down.value, DOWN_IN_SLOTS)
        return first

    def ends(self, key=None):
        """Mark Redis up; true only for the success that ends an outage (for a
        cluster down in some slots, a success on a key in one of them)."""
        if self._down.value == UP:
            return False
        slot = self._slot(key)
        with self._lock:
            down = self._down.value
            if down == DOWN_IN_SLOTS and (slot is None or not self._failed_slots[slot]):
                return False
            self._down.value = UP
            if self.cluster:
                ctypes.memset(self._failed_slots, 0, REDIS_CLUSTER_HASH_SLOTS)
        return down != UP
