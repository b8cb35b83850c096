"""``use_real_clock`` without freezegun: a clock frozen by hand, the way
freezegun and its kind do it, in ``time`` and in a module holding the
function by name."""

import datetime
import sys
import time
import types

import pytest

from odoo_cloud.clock import REAL_DATETIME, REAL_TIME, use_real_clock

FROZEN = 1_000_000_000.0  # 2001


class FrozenDatetime(datetime.datetime):
    @classmethod
    def now(cls, tz=None):
        return datetime.datetime.fromtimestamp(FROZEN, tz)


@pytest.fixture
def library(monkeypatch):
    """A library that imported ``time``, ``datetime`` and ``time.time``
    before the test froze the clock."""
    module = types.ModuleType("frozenlib.signing")
    module.time, module.datetime, module.now = time, datetime, time.time
    monkeypatch.setitem(sys.modules, module.__name__, module)
    return module


@pytest.fixture
def frozen(monkeypatch, library):
    def frozen_time():
        return FROZEN

    monkeypatch.setattr(time, "time", frozen_time)
    monkeypatch.setattr(datetime, "datetime", FrozenDatetime)
    monkeypatch.setattr(library, "now", frozen_time)


def test_the_library_reads_the_real_clock_once_pointed_at_it(library, frozen):
    assert library.time.time() == library.now() == FROZEN
    use_real_clock("frozenlib")
    assert library.time.time() != FROZEN
    assert library.now() != FROZEN
    assert library.datetime.datetime.now().timestamp() != FROZEN
    assert library.datetime.timedelta is datetime.timedelta
    assert time.time() == FROZEN  # everything else keeps the test's clock


def test_what_the_library_holds_stays_real_when_the_clock_is_frozen_again(
    library, monkeypatch
):
    use_real_clock("frozenlib")
    # A freezer replaces every module attribute holding the real function.
    for module in list(sys.modules.values()):
        for name, value in list(vars(module).items()):
            if value is REAL_TIME.time:
                monkeypatch.setattr(module, name, lambda: FROZEN)
    monkeypatch.setattr(datetime, "datetime", FrozenDatetime)
    assert library.now() != FROZEN
    assert library.time.time() != FROZEN
    assert REAL_DATETIME.datetime.now().timestamp() != FROZEN


def test_other_packages_are_left_alone(library, frozen):
    use_real_clock("botocore")
    assert library.now() == FROZEN
