"""Framework-free core of the Odoo cloud platform suite.

Nothing in this package imports Odoo: the addons build these objects and wire
them into Odoo's hooks.
"""

# The real clock is copied before anything can freeze it: whoever imports the
# suite, Odoo loading an addon or a test, does so before a test starts.
from . import clock
