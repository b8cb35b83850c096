"""Makes the modules named in ``HIDDEN_MODULES`` (comma-separated top-level
names) impossible to import, as when their distribution is not installed:
put this directory on ``PYTHONPATH``."""

import os
import sys

HIDDEN = set(filter(None, os.environ.get("HIDDEN_MODULES", "").split(",")))


class NotInstalled:
    """A finder that answers for the hidden modules before any other."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.partition(".")[0] in HIDDEN:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, NotInstalled())
