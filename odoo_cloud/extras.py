"""The optional dependencies of odoo-cloud: ``pip install 'odoo-cloud[s3]'``.

The core (configuration, command line, JSON logs) needs only what every
install gets. A feature whose library is optional declares its :class:`Extra`
next to its code (a backend in its descriptor), imports the library only when
it is used, and does so inside :meth:`Extra.needed_by`, so that a library
missing becomes an error naming the extra to install. The extras themselves,
with their versions, are the files of ``requirements/``.
"""

import contextlib
import importlib.util
from dataclasses import dataclass

from .errors import ConfigError, Problem


class MissingExtra(ConfigError):
    """A feature is used whose library, an extra of odoo-cloud, is not
    installed: a misconfiguration of the installation, refused as one."""

    def __init__(self, feature, module, extra):
        self.extra = extra
        super().__init__([Problem(feature, None, extra.reason(module))])


@dataclass(frozen=True)
class Extra:
    """An extra of odoo-cloud and the modules it brings, as they are imported."""

    name: str
    modules: tuple

    def reason(self, module):
        """Why a feature cannot work without ``module``, and the command that
        installs it."""
        return f"needs {module} (not installed): pip install 'odoo-cloud[{self.name}]'"

    def missing_module(self):
        """The first of its modules that is not installed, or None; found
        without importing any."""
        for module in self.modules:
            try:
                found = importlib.util.find_spec(module)
            except ModuleNotFoundError:  # a parent package of a dotted name
                found = None
            if found is None:
                return module
        return None

    @contextlib.contextmanager
    def needed_by(self, feature):
        """Run the block that imports the library of ``feature`` (worded to
        start a sentence: "the S3 backend"); the absence of one of this
        extra's modules there is :class:`MissingExtra`. Any other missing
        module, one of the suite's own for instance, is left as it is."""
        try:
            yield
        except ModuleNotFoundError as error:
            packages = {module.partition(".")[0] for module in self.modules}
            if (error.name or "").partition(".")[0] not in packages:
                raise
            module = self.missing_module() or error.name
            raise MissingExtra(feature, module, self) from error
