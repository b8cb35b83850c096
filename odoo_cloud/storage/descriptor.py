"""What an object store backend is: one :class:`Backend` descriptor, declared
by the backend's own module and listed in :mod:`.backends`.

The configuration, the store registry, the platform rules and ``odoo-cloud
check`` all derive from descriptors; no other code names a backend.
Declaring one imports nothing of the backend's library, an extra of
odoo-cloud: its ``connect`` and ``store`` import the backend's store module
when called, the first time a store is built, and
:meth:`Backend.first_use` names the extra when it is not installed.
"""

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from ..extras import Extra
from ..variable import Variable, boolean, grouped
from .keys import bucket_problem

# What ``{db}`` in a bucket name is checked as when no database is known.
DB_STAND_IN = "db"


@dataclass(frozen=True)
class NameRule:
    """The bucket names a store accepts: those ``pattern`` matches whole,
    ``description`` in words."""

    pattern: str
    description: str

    def refuses(self, name):
        return re.fullmatch(self.pattern, name) is None


@dataclass(frozen=True)
class Backend:
    """Everything the suite knows of one object store backend."""

    # In ``store_fname`` (``<scheme>://<bucket>/<key>``) and, as the place
    # new attachments go, in ``ir_attachment.location``.
    scheme: str
    addon: str  # the Odoo addon providing the backend
    title: str  # its name in messages: "S3", "Swift"
    # The variable naming the bucket new attachments are written to, as the
    # store calls a bucket (``bucket_noun``).
    bucket_variable: str
    bucket_noun: str
    settings: tuple  # its other variables
    connect: Callable  # (config) -> client, once per process
    store: Callable  # (config, client, bucket) -> ObjectStore
    # What it cannot work without: alternative sets of variables, the first
    # one all set wins.
    credentials: tuple = ()
    extra: Extra | None = None  # what installs its library, if it needs one
    # Variables its signed URLs need (downloads offloaded by
    # ATTACHMENT_STORAGE_REDIRECT).
    signing: tuple = ()
    bucket_names: NameRule | None = None  # None: any name

    def bucket_name_problem(self, name):
        """Why the store would refuse a bucket named ``name``, or None."""
        problem = bucket_problem(name)
        if problem:
            return f"is not a valid {self.title} {self.bucket_noun} name: it {problem}"
        if self.bucket_names is None or not self.bucket_names.refuses(name):
            return None
        return (
            f"is not a valid {self.title} {self.bucket_noun} name: "
            f"{self.bucket_names.description}"
        )

    def _parse_bucket_template(self, raw):
        problem = self.bucket_name_problem(raw.replace("{db}", DB_STAND_IN))
        if problem:
            raise ValueError(problem)
        return raw

    def chosen_credentials(self, config):
        """The first set of :attr:`credentials` all set in ``config``; None
        when none is (and () when the backend needs none)."""
        if not self.credentials:
            return ()
        return next(
            (
                alternative
                for alternative in self.credentials
                if all(config[variable] for variable in alternative)
            ),
            None,
        )

    @property
    def credential_choices(self):
        """Its sets of credentials in a sentence: ``A; or B and C``."""
        return "; or ".join(" and ".join(group) for group in self.credentials)

    @property
    def feature(self):
        return f"the {self.title} backend"

    def first_use(self):
        """The context its ``connect`` and ``store`` are called in: a missing
        library is :class:`~odoo_cloud.extras.MissingExtra`."""
        if self.extra is None:
            return contextlib.nullcontext()
        return self.extra.needed_by(self.feature)

    @property
    def unstructured_variable(self):
        """The switch lifting the ``<project>-odoo-<env>`` name rule."""
        return f"{self.bucket_variable}_UNSTRUCTURED"

    @property
    def variables(self):
        """Its settings, its write bucket and the bucket's name-rule switch,
        listed under its scheme."""
        noun = self.bucket_noun
        bucket_help = (
            f"{noun.capitalize()}, `<project>-odoo-<env>`; `{{db}}` becomes the "
            "database name."
        )
        if self.bucket_names:
            bucket_help += f" Names: {self.bucket_names.description}."
        return grouped(
            self.scheme,
            *self.settings,
            Variable(
                self.bucket_variable,
                self._parse_bucket_template,
                help=bucket_help,
            ),
            Variable(
                self.unstructured_variable,
                boolean,
                default=False,
                help=f"Do not check the {noun} name against the running environment.",
            ),
        )
