"""gatepass.users: the ``User`` record, the ``UserStore`` protocol and its stores."""

from gatepass.users.emails import normalize_email
from gatepass.users.ids import new_user_id
from gatepass.users.memory import MemoryUserStore
from gatepass.users.migrate import migrate
from gatepass.users.model import User
from gatepass.users.sql import SQLUserStore
from gatepass.users.sql_url import async_database_url
from gatepass.users.store import UserStore

__all__ = [
    "MemoryUserStore",
    "SQLUserStore",
    "User",
    "UserStore",
    "async_database_url",
    "migrate",
    "new_user_id",
    "normalize_email",
]
