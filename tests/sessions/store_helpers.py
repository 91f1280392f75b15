"""Session stores opened for tests: every backend, and the Redis store behind its cache."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from gatepass.sessions import MemorySessionStore, SessionRecord, SessionStore
from gatepass.sessions.stores.redis import RedisSessionStore
from gatepass.sessions.stores.redis_cache import CachedRedisSessionStore, SessionCacheStats
from gatepass.sessions.stores.sqlite import SQLiteSessionStore
from sessions.session_helpers import FakeClock

DEADLINE = 3.0  # seconds any poll may wait for Redis's news to arrive


async def open_store(
    kind: str, request: pytest.FixtureRequest, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[SessionStore]:
    """One backend of ``kind`` on ``clock``; Redis keys get a fresh prefix and are removed."""
    if kind == "memory":
        yield MemorySessionStore(clock=clock)
    elif kind == "sqlite":
        sqlite = SQLiteSessionStore(tmp_path / "sessions.db", clock=clock)
        yield sqlite
        await sqlite.close()
    else:
        url = request.getfixturevalue("redis_url")
        redis = RedisSessionStore.from_url(url, prefix=f"test:{uuid.uuid4().hex}:")
        yield redis
        await redis.clear()
        await redis.close()


async def until(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    """Wait until ``condition`` holds, failing the test after ``DEADLINE`` seconds."""
    deadline = time.monotonic() + DEADLINE
    while not await condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting: {what}")
        await asyncio.sleep(0.01)


async def until_stats(
    store: CachedRedisSessionStore, holds: Callable[[SessionCacheStats], bool], what: str
) -> None:
    async def check() -> bool:
        return holds(store.stats())

    await until(check, what)


async def until_loads(
    store: CachedRedisSessionStore,
    session_id: str,
    holds: Callable[[SessionRecord | None], bool],
    what: str,
) -> None:
    async def check() -> bool:
        return holds(await store.load(session_id))

    await until(check, what)


async def open_cached(url: str, **options: Any) -> CachedRedisSessionStore:
    """A cache over a Redis store with a fresh prefix, once its listener tracks the prefix."""
    inner = RedisSessionStore.from_url(url, prefix=f"test:{uuid.uuid4().hex}:")
    store = CachedRedisSessionStore(inner, **options)
    await store.load("warm-up")  # the listener starts on first use
    await until_stats(store, lambda s: s.active, "the listener tracks the prefix")
    return store


@asynccontextmanager
async def opened_cached(url: str, **options: Any) -> AsyncIterator[CachedRedisSessionStore]:
    """:func:`open_cached`, then its sessions cleared and the store closed on the way out."""
    store = await open_cached(url, **options)
    try:
        yield store
    finally:
        await store.clear()
        await store.close()
