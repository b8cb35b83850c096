"""The real clock, for the libraries that talk to the object stores and Redis.

Tests freeze the clock (Odoo's ``freeze_time``, freezegun) by replacing the
clock functions of ``time`` and the classes of ``datetime`` with fakes: in
those two modules, and in every loaded module holding one of them by name
(``from time import time``). A store library reading that clock signs and
dates its requests years away, which the store refuses (S3 answers 403),
and times its retries, tokens and signed URLs wrongly.

So this module copies ``time`` and ``datetime`` when it is imported, before
any test freezes the clock (Odoo loads the suite's addons at startup), into
module objects of its own that are not in ``sys.modules``, where no such
patching looks; :func:`use_real_clock` then points a library's modules at
those copies. The session data Odoo dates itself (a session's creation and
rotation times) keeps following Odoo's clock, frozen or not.
"""

import datetime
import functools
import sys
import time
import types


def _copy(module):
    copy = types.ModuleType(module.__name__, module.__doc__)
    copy.__dict__.update(vars(module))
    return copy


REAL_TIME = _copy(time)
REAL_DATETIME = _copy(datetime)
_COPIES = {id(time): REAL_TIME, id(datetime): REAL_DATETIME}


def _time_functions_held_by_name():
    """For each clock function of ``time``, its real version and what
    ``time`` holds now (a fake while the clock is frozen), mapped to a
    wrapper of the real one: an object of its own, which no patching takes
    for a clock function."""
    wrappers = {}
    for name, real in vars(REAL_TIME).items():
        if callable(real) and not isinstance(real, type):
            wrapper = functools.partial(real)
            wrappers[id(real)] = wrappers[id(getattr(time, name))] = wrapper
    return wrappers


def use_real_clock(*packages):
    """Make the loaded modules of ``packages`` (top-level names) read the
    real clock: their ``time`` and ``datetime`` become the copies, and a
    clock function they imported by name its real version. Classes imported
    by name (``from datetime import datetime``) are left alone: the store
    libraries use them to parse and check types, never to read the clock."""
    wrappers = _time_functions_held_by_name()
    for name, module in list(sys.modules.items()):
        if module is None or name.partition(".")[0] not in packages:
            continue
        for attribute, value in list(vars(module).items()):
            replacement = _COPIES.get(id(value)) or wrappers.get(id(value))
            if replacement is not None:
                setattr(module, attribute, replacement)
