"""The Odoo series the suite supports, listed once.

Everything that names the series reads this list: the Odoo trees ``make
setup``, ``make run`` and the Odoo tier accept (``local_platform``), the
series an addon's wheel is built for (``setup/addon_setup.py``) and the
trees CI tests (``.ci/run``). It imports nothing, so that those read it
without Odoo (a wheel build reads it from the checkout).
"""

SUPPORTED_SERIES = ("18.0", "19.0")
