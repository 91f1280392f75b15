"""One-time token stores opened for tests: memory, SQLite, and Redis under a fresh prefix."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from redis.asyncio import Redis

from gatepass.mail.stores import MemoryOneTimeStore, OneTimeStore
from gatepass.mail.stores.redis import RedisOneTimeStore
from gatepass.mail.stores.sqlite import SQLiteOneTimeStore
from service_helpers import delete_keys

STORE_KINDS = ["memory", "sqlite", pytest.param("redis", marks=pytest.mark.redis)]


@asynccontextmanager
async def open_one_time_store(
    request: pytest.FixtureRequest, tmp_path: Path, clock: Callable[[], float]
) -> AsyncIterator[OneTimeStore]:
    """The store of ``request.param``; Redis keys are removed on the way out."""
    if request.param == "memory":
        yield MemoryOneTimeStore(clock=clock)
    elif request.param == "sqlite":
        async with SQLiteOneTimeStore(tmp_path / "onetime.sqlite3", clock=clock) as sqlite:
            yield sqlite
    else:
        url: str = request.getfixturevalue("redis_url")
        client = Redis.from_url(url)
        prefix = f"gatepass-test:{uuid.uuid4().hex}:"
        try:
            yield RedisOneTimeStore(client, prefix=prefix, clock=clock)
        finally:
            await delete_keys(client, f"{prefix}*")
            await client.aclose()
