"""gatepass.users: the ``User`` record, the ``UserStore`` protocol and its stores."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatepass._lazy import lazy_attributes
from gatepass.users.emails import normalize_email
from gatepass.users.identities import (
    Identity,
    IdentityStore,
    MemoryIdentityStore,
    ProviderAssertion,
    link_or_create,
)
from gatepass.users.ids import new_user_id
from gatepass.users.memory import MemoryUserStore
from gatepass.users.model import User
from gatepass.users.store import UserStore

if TYPE_CHECKING:
    from gatepass.users.identities_sql import SQLIdentityStore
    from gatepass.users.schema import migrate
    from gatepass.users.sql import SQLUserStore
    from gatepass.users.sql_url import async_database_url

__all__ = [
    "Identity",
    "IdentityStore",
    "MemoryIdentityStore",
    "MemoryUserStore",
    "ProviderAssertion",
    "SQLIdentityStore",
    "SQLUserStore",
    "User",
    "UserStore",
    "async_database_url",
    "link_or_create",
    "migrate",
    "new_user_id",
    "normalize_email",
]

# SQLAlchemy and Alembic come with the ``sql`` extra: import them on first use.
_LAZY = {
    "SQLIdentityStore": "gatepass.users.identities_sql",
    "SQLUserStore": "gatepass.users.sql",
    "async_database_url": "gatepass.users.sql_url",
    "migrate": "gatepass.users.schema",
}

__getattr__ = lazy_attributes(__name__, _LAZY)
