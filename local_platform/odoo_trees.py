"""The Odoo source trees the Odoo tier and ``make run`` use, one Python
environment each.

``ODOO_SRC`` names one tree, or several separated by spaces (one per series).
Each series gets a virtual environment of its own, ``odoo-<series>`` inside
the suite's (``sys.prefix``): 19.0's ``odoo`` is a namespace package that an
18.0 tree on the same path would shadow, and each series pins its own Werkzeug,
gevent, and the rest. An environment holds the tree's ``requirements.txt`` as
the tree pins it, the suite's runtime dependencies and ``odoo_cloud``, the
tools the Odoo tier runs inside Odoo (``requirements-odoo.txt``), and a
``.pth`` file that puts the tree on its path, and the suite's own
(``odoo-cloud odoo-hook``), which wraps Odoo's database operations.

Run as a script (``make setup``), it builds the environment of every tree.
The module needs nothing beyond the standard library and the series list
(:mod:`odoo_cloud_adapter.series`).
"""

import os
import re
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

from odoo_cloud_adapter.series import SUPPORTED_SERIES

from . import in_odoo
from .odoo_call import SCRIPT as CALL_SCRIPT
from .odoo_call import call_environ, returned

REPO = Path(__file__).resolve().parents[1]


def suite_prefix():
    """The suite's environment: this interpreter's, or the one holding it when
    this interpreter is an Odoo series' own (a benchmark that imports Odoo
    runs there)."""
    prefix = Path(sys.prefix)
    if prefix.name.startswith("odoo-") and (prefix.parent / "pyvenv.cfg").is_file():
        return prefix.parent
    return prefix


@dataclass(frozen=True)
class OdooTree:
    """An Odoo source tree, its series, and where its environment lives."""

    src: Path
    series: str
    suite_prefix: Path

    @classmethod
    def at(cls, src, suite_prefix):
        """The tree at ``src``; ValueError saying why when it is not usable."""
        release = Path(src, "odoo", "release.py")
        if not release.is_file():
            raise ValueError(f"{src} is not an Odoo source tree (no odoo/release.py)")
        version = r"^version_info = \((\d+), (\d+)\b"
        found = re.search(version, release.read_text(), re.M)
        series = f"{found[1]}.{found[2]}" if found else "of an unknown series"
        if series not in SUPPORTED_SERIES:
            raise ValueError(
                f"{src} is Odoo {series}; the suite supports "
                f"{', '.join(SUPPORTED_SERIES)}"
            )
        return cls(Path(src).resolve(), series, Path(suite_prefix))

    @property
    def environment(self):
        return self.suite_prefix / f"odoo-{self.series}"

    @property
    def python(self):
        return self.environment / "bin" / "python"

    def check_environment(self):
        """Raise ValueError, saying how to build it, when the environment is
        missing or was built for another tree."""
        if not self.python.exists() or not self._path_file().exists():
            raise ValueError(
                f"no Python environment for Odoo {self.series} at "
                f"{self.environment}: run make setup ODOO_SRC={self.src}"
            )
        if self._path_file().read_text().strip() != str(self.src):
            raise ValueError(
                f"{self.environment} was built for another Odoo tree: "
                f"run make setup ODOO_SRC={self.src}"
            )

    def call(self, function, **arguments):
        """What ``function(**arguments)`` returns, run by the tree's Python
        without a database (:mod:`.odoo_call`)."""
        with call_environ(function, arguments, in_database=False) as call:
            result = subprocess.run(
                [self.python, "-c", CALL_SCRIPT], env={**os.environ, **call},
                capture_output=True, text=True, check=True, timeout=120,
            )  # fmt: skip
        return returned(result.stdout)

    def default_server_wide_modules(self):
        """The server-wide modules the tree loads when ``--load`` is not
        given (19.0 adds ``rpc``): ``--load`` replaces them, so a server
        that loads the suite's starts from these."""
        return tuple(self.call(in_odoo.default_server_wide_modules))

    def _path_file(self):
        """The ``.pth`` file naming the tree, in the environment's site-packages."""
        site = next(self.environment.glob("lib/python3*/site-packages"))
        return site / "odoo-src.pth"

    def build_environment(self):
        """Create (or update) the environment of this tree."""
        print(f"Python environment of Odoo {self.series}: {self.environment}")
        venv.EnvBuilder(with_pip=True).create(self.environment)
        pip = [self.python, "-m", "pip", "install", "-q"]
        subprocess.run([*pip, "--upgrade", "pip"], check=True)
        subprocess.run(
            [*pip, "--build-constraint", REPO / "build-constraints.txt",
             "-r", self.src / "requirements.txt", "-r", REPO / "requirements.txt",
             "-r", REPO / "requirements-odoo.txt", "-e", REPO],
            check=True,
        )  # fmt: skip
        self._path_file().write_text(f"{self.src}\n")
        subprocess.run([self.python, "-m", "odoo_cloud", "odoo-hook"], check=True)


def configured_trees():
    """Every tree ``ODOO_SRC`` names: an :class:`OdooTree`, or the reason it
    cannot be used (a string), in the order given."""
    sources = os.environ.get("ODOO_SRC", "").split()
    if not sources:
        return ["ODOO_SRC is not set: no Odoo source tree"]
    trees, series = [], set()
    for src in sources:
        try:
            tree = OdooTree.at(src, suite_prefix())
        except ValueError as error:
            trees.append(f"ODOO_SRC: {error}")
            continue
        if tree.series in series:
            trees.append(f"ODOO_SRC names two trees of Odoo {tree.series}")
            continue
        series.add(tree.series)
        trees.append(tree)
    return trees


def usable_tree():
    """The first tree of ``ODOO_SRC``, its environment built (``make run`` and
    the benchmarks serve it); ValueError saying why there is none."""
    tree = configured_trees()[0]
    if isinstance(tree, str):
        raise ValueError(tree)
    tree.check_environment()
    return tree


def main():
    trees = configured_trees()
    if not os.environ.get("ODOO_SRC", "").split():
        print("ODOO_SRC is not set: no Odoo environment to build")
        return
    problems = [tree for tree in trees if isinstance(tree, str)]
    if problems:
        sys.exit("\n".join(problems))
    for tree in trees:
        tree.build_environment()


if __name__ == "__main__":
    main()
