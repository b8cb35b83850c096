"""State that each process builds for itself."""

import os


class PerProcess:
    """The value ``factory()`` returns, built again in a process whose pid is
    not the builder's: a prefork worker must not share the sockets of the
    process it was forked from."""

    def __init__(self, factory):
        self._factory = factory
        self._pid = None
        self._value = None

    def get(self):
        if self._pid != os.getpid():
            self._value, self._pid = self._factory(), os.getpid()
        return self._value
