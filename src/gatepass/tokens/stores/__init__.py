"""gatepass.tokens.stores: where refresh families and revocations live.

Memory stores import nothing extra; the SQLite and Redis stores load on first use, so
``aiosqlite`` (``gatepass[sql]``) and ``redis`` (``gatepass[redis]``) stay optional.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

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


def __getattr__(name: str) -> object:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
