from . import test_frozen_clock, test_probe
