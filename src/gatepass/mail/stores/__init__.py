"""Where one-time tokens wait: memory, SQLite and Redis, one contract."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatepass._lazy import lazy_attributes
from gatepass.mail.stores.base import OneTimeRecord, OneTimeStore
from gatepass.mail.stores.memory import MemoryOneTimeStore

if TYPE_CHECKING:
    from gatepass.mail.stores.redis import RedisOneTimeStore
    from gatepass.mail.stores.sqlite import SQLiteOneTimeStore

# The drivers are optional extras: each store is imported on first use.
_LAZY = {
    "RedisOneTimeStore": "gatepass.mail.stores.redis",
    "SQLiteOneTimeStore": "gatepass.mail.stores.sqlite",
}

__all__ = [
    "MemoryOneTimeStore",
    "OneTimeRecord",
    "OneTimeStore",
    "RedisOneTimeStore",
    "SQLiteOneTimeStore",
]

__getattr__ = lazy_attributes(__name__, _LAZY)
