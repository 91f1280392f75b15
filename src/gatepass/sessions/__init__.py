"""Server-side sessions: the ``Session`` object, flash messages, stores and middleware."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatepass._lazy import lazy_attributes
from gatepass.sessions.cookies import CookiePolicy
from gatepass.sessions.flash import FlashMessage, flash, get_flashed_messages
from gatepass.sessions.manage import (
    current_handle,
    end_other_sessions,
    end_session,
    list_sessions,
)
from gatepass.sessions.middleware import SessionMiddleware
from gatepass.sessions.session import Session
from gatepass.sessions.signing import CookieSigner
from gatepass.sessions.stores.base import SessionInfo, SessionRecord, SessionStore
from gatepass.sessions.stores.memory import MemorySessionStore

if TYPE_CHECKING:
    from gatepass.sessions.stores.redis import RedisSessionStore
    from gatepass.sessions.stores.redis_cache import CachedRedisSessionStore
    from gatepass.sessions.stores.sqlite import SQLiteSessionStore

__all__ = [
    "CachedRedisSessionStore",
    "CookiePolicy",
    "CookieSigner",
    "FlashMessage",
    "MemorySessionStore",
    "RedisSessionStore",
    "SQLiteSessionStore",
    "Session",
    "SessionInfo",
    "SessionMiddleware",
    "SessionRecord",
    "SessionStore",
    "current_handle",
    "end_other_sessions",
    "end_session",
    "flash",
    "get_flashed_messages",
    "list_sessions",
]

# The drivers are optional extras: each store is imported on first use.
_LAZY = {
    "CachedRedisSessionStore": "gatepass.sessions.stores.redis_cache",
    "SQLiteSessionStore": "gatepass.sessions.stores.sqlite",
    "RedisSessionStore": "gatepass.sessions.stores.redis",
}

__getattr__ = lazy_attributes(__name__, _LAZY)
