"""Session stores: in-memory, SQLite (the embedded default) and Redis (shared).

``CachedRedisSessionStore`` puts a local cache, kept coherent by Redis, in front of
the Redis store. ``SQLiteSessionStore`` and the Redis stores are imported on first use, so their
drivers (``gatepass[sql]``, ``gatepass[redis]``) are only needed by apps that use them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatepass._lazy import lazy_attributes
from gatepass.sessions.stores.base import SessionInfo, SessionRecord, SessionStore
from gatepass.sessions.stores.memory import MemorySessionStore

if TYPE_CHECKING:
    from gatepass.sessions.stores.redis import RedisSessionStore
    from gatepass.sessions.stores.redis_cache import CachedRedisSessionStore
    from gatepass.sessions.stores.sqlite import SQLiteSessionStore

__all__ = [
    "CachedRedisSessionStore",
    "MemorySessionStore",
    "RedisSessionStore",
    "SQLiteSessionStore",
    "SessionInfo",
    "SessionRecord",
    "SessionStore",
]

# The drivers are optional extras: each store is imported on first use.
_LAZY = {
    "CachedRedisSessionStore": "gatepass.sessions.stores.redis_cache",
    "SQLiteSessionStore": "gatepass.sessions.stores.sqlite",
    "RedisSessionStore": "gatepass.sessions.stores.redis",
}

__getattr__ = lazy_attributes(__name__, _LAZY)
