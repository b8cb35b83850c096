"""HTTP sessions in Redis, and the cleaner of filesystem sessions.

Nothing here imports Odoo: ``session_redis`` hands the store Odoo's session
class and key functions, and the ``odoo-cloud`` command line uses the same
store to import filesystem sessions.
"""

from .connection import connect, describe
from .outage import Outage
from .store import (
    MAX_INACTIVITY_PARAMETER,
    RedisSessions,
    RedisSessionStore,
    SessionStoreUnavailable,
    idle_lifetime,
    sessions_from_config,
)
