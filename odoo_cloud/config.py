"""How the suite reads its environment variables: parsing, loading, the
catalogue of every variable.

Each feature declares its own variables next to its code, as
:class:`~.variable.Variable` objects (object storage: those of each backend
descriptor); :func:`catalogue` collects them from the modules imported below.
Every addon, the startup checks and ``odoo-cloud check`` read their settings
through :func:`load` or :func:`parse`; nothing else in the suite looks at
``os.environ``. Each variable names its type, its default and whether it is
a secret, so that a bad value is refused with a :class:`~.errors.Problem`
naming the variable, and a secret is never printed.
"""

import os
from dataclasses import dataclass, field

from . import logs, platform
from .errors import ConfigError, Problem
from .masking import MASK, mask
from .metrics import variables as metrics_variables
from .platform import RUNNING_ENV
from .sessions import variables as sessions_variables
from .storage import variables as storage_variables
from .variable import Secret, Variable

# No variable needs more (a connection string with a SAS token is a few
# hundred characters); a longer value is a mistake, refused.
MAX_VALUE_LENGTH = 4096
# A refused value longer than this is named, not shown.
MAX_SHOWN_LENGTH = 256
# The modules declaring variables, in the order of the reference table, each
# with a ``variables()`` function, asked each time: a backend added to
# ``storage.backends.BACKENDS`` brings its variables.
DECLARED_IN = (platform, sessions_variables, storage_variables, logs, metrics_variables)


@dataclass(frozen=True)
class Setting:
    """The effective value of one variable and where it came from."""

    variable: Variable
    value: object
    source: str

    def __repr__(self):
        return (
            f"Setting({self.variable.name}={self.variable.display(self.value)}, "
            f"source={self.source})"
        )


def catalogue():
    """Every variable of the suite, as the features declare them."""
    return tuple(variable for module in DECLARED_IN for variable in module.variables())


def catalogue_by_name():
    return {variable.name: variable for variable in catalogue()}


@dataclass(frozen=True)
class Config:
    """Every variable's effective value; secrets stay :class:`Secret`."""

    settings: dict = field(default_factory=dict)

    def __getitem__(self, name):
        return self.settings[name].value

    def shown(self, name):
        """The value of ``name`` as it may be shown to a person: secrets
        masked."""
        setting = self.settings[name]
        return setting.variable.display(setting.value)

    def source(self, name):
        return self.settings[name].source

    @property
    def running_env(self):
        return self[RUNNING_ENV]


def reference():
    """The configuration reference as a Markdown table, one row per variable."""
    rows = [
        "| variable | default | secret | meaning |",
        "|---|---|---|---|",
    ]
    for variable in catalogue():
        default = (
            "unset"
            if variable.default is None
            else f"`{variable.display(variable.default)}`"
        )
        for env, value in variable.env_defaults:
            default += f", `{variable.display(value)}` in {env}"
        secret = "yes" if variable.secret else ""
        names = "".join(f" (old name `{alias}`)" for alias in variable.aliases)
        meaning = variable.help
        bounds = getattr(variable.parse, "bounds", None)
        if bounds and bounds[1] is not None:
            meaning += f" From {bounds[0]} to {bounds[1]}."
        rows.append(f"| `{variable.name}`{names} | {default} | {secret} | {meaning} |")
    return "\n".join(rows) + "\n"


def _given(variable, environ):
    """The name ``variable`` is set under and its raw value: its own name
    wins over its aliases; an empty value counts as unset."""
    for name in variable.names:
        raw = environ.get(name)
        if raw is not None and raw.strip():
            return name, raw
    return variable.name, environ.get(variable.name)


def _raw(variable, environ, running_env_option, running_env_argument):
    """The name ``variable`` is given under, its raw value and its source.

    RUNNING_ENV comes from ``odoo-cloud check --env`` first, then from the
    environment, then from Odoo's option.
    """
    name, raw = _given(variable, environ)
    if variable.name == RUNNING_ENV:
        if running_env_argument:
            return name, running_env_argument, "--env"
        if not (raw and raw.strip()) and running_env_option:
            return name, running_env_option, "odoo option running_env"
    return name, raw, "env" if name == variable.name else f"env {name}"


def _shown(variable, raw):
    """How the refused value ``raw`` of ``variable`` may be shown: masked,
    and not at all when too long to read."""
    if variable.secret:
        return MASK
    if len(raw) > MAX_SHOWN_LENGTH:
        return None
    return repr(mask(raw))


def _read(variable, raw, source, running_env):
    if raw is None or raw.strip() == "":
        env_defaults = dict(variable.env_defaults)
        if running_env in env_defaults:
            source = f"default in {running_env}"
            return Setting(variable, env_defaults[running_env], source)
        return Setting(variable, variable.default, "default")
    if len(raw) > MAX_VALUE_LENGTH:
        raise ValueError(f"is longer than {MAX_VALUE_LENGTH} characters")
    value = variable.parse(raw)
    return Setting(variable, Secret(value) if variable.secret else value, source)


def parse(environ=None, running_env_option=None, running_env_argument=None):
    """Read every variable; return the config and the list of :class:`Problem`.

    ``running_env_option`` is Odoo's ``running_env`` option (as OCA's
    server_environment reads it), used when ``RUNNING_ENV`` is not set;
    ``running_env_argument`` is ``odoo-cloud check --env``, which wins over both.
    """
    environ = os.environ if environ is None else environ
    settings, problems = {}, []
    declared = catalogue()
    for variable in sorted(declared, key=lambda v: v.name != RUNNING_ENV):
        running_env = getattr(settings.get(RUNNING_ENV), "value", None)
        name, raw, source = _raw(
            variable, environ, running_env_option, running_env_argument
        )
        try:
            settings[variable.name] = _read(variable, raw, source, running_env)
        except ValueError as error:
            problems.append(Problem(name, _shown(variable, raw), mask(str(error))))
    ordered = {v.name: settings[v.name] for v in declared if v.name in settings}
    return Config(ordered), problems


def load(environ=None, running_env_option=None, groups=None):
    """The config, or :class:`ConfigError` listing every bad variable.

    With ``groups``, only the variables of those groups can refuse: an addon
    checks its own settings and leaves the others to theirs.
    """
    config, problems = parse(environ, running_env_option)
    if groups is not None:
        names = {name for v in catalogue() if v.group in groups for name in v.names}
        problems = [problem for problem in problems if problem.variable in names]
    if problems:
        raise ConfigError(problems)
    return config
