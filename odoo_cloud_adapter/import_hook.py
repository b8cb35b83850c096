"""Wraps Odoo's database operations as soon as Odoo defines them.

``odoo-bin db dump`` and its siblings import ``odoo.service.db`` and bind its
functions without loading any addon, so nothing an addon does reaches them.
The ``odoo-cloud.pth`` file of the environment Odoo runs in (written by
``odoo-cloud odoo-hook``: :func:`install_pth`) imports this module when
Python starts: it only registers a finder, which does nothing until
``odoo.service.db`` is imported, then wraps it (:mod:`.database_operations`)
before anyone binds its names.
"""

import sys
import sysconfig
from importlib.abc import MetaPathFinder
from pathlib import Path

ODOO_DATABASE_OPERATIONS = "odoo.service.db"
PTH_FILE = "odoo-cloud.pth"


class _WrapOnImport(MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname != ODOO_DATABASE_OPERATIONS:
            return None
        later = sys.meta_path[sys.meta_path.index(self) + 1 :]
        finders = [getattr(f, "find_spec", None) for f in later]
        specs = (find(fullname, path, target) for find in finders if find)
        spec = next((s for s in specs if s), None)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_and_wrap(module):
            exec_module(module)
            from .database_operations import install

            install(module)

        spec.loader.exec_module = exec_and_wrap
        return spec


def install_pth(site_packages=None):
    """Write ``odoo-cloud.pth`` into ``site_packages`` (this environment's
    by default); its path."""
    path = Path(site_packages or sysconfig.get_path("purelib")) / PTH_FILE
    path.write_text(f"import {__name__}; {__name__}.register()\n")
    return path


def installed():
    """True when this process started with the hook (``odoo-cloud.pth``)."""
    return any(isinstance(finder, _WrapOnImport) for finder in sys.meta_path)


def register():
    if not installed():
        sys.meta_path.insert(0, _WrapOnImport())
