"""gatepass.tokens.stores: where refresh families and revocations live.

Memory stores import nothing extra; the SQLite and Redis stores load on first use, so
``aiosqlite`` (``gatepass[sql]``) and ``redis`` (``gatepass[redis]``) stay optional.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatepass._lazy import lazy_attributes
from gatepass.tokens.stores.base import (
    Clock,
    RefreshFamily,
    RefreshRecord,
    RefreshStore,
    RevocationStore,
    SpendResult,
    SpendStatus,
)
from gatepass.tokens.stores.memory import MemoryRefreshStore, MemoryRevocationStore

if TYPE_CHECKING:
    from gatepass.tokens.stores.redis import RedisRefreshStore, RedisRevocationStore
    from gatepass.tokens.stores.sqlite import SQLiteRefreshStore, SQLiteRevocationStore

# The drivers are optional extras: each store is imported on first use.
_LAZY = {
    "RedisRefreshStore": "gatepass.tokens.stores.redis",
    "RedisRevocationStore": "gatepass.tokens.stores.redis",
    "SQLiteRefreshStore": "gatepass.tokens.stores.sqlite",
    "SQLiteRevocationStore": "gatepass.tokens.stores.sqlite",
}

__all__ = [
    "Clock",
    "MemoryRefreshStore",
    "MemoryRevocationStore",
    "RedisRefreshStore",
    "RedisRevocationStore",
    "RefreshFamily",
    "RefreshRecord",
    "RefreshStore",
    "RevocationStore",
    "SQLiteRefreshStore",
    "SQLiteRevocationStore",
    "SpendResult",
    "SpendStatus",
]

__getattr__ = lazy_attributes(__name__, _LAZY)
