"""Fixtures of the mail tests: one-time token stores on every backend."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from gatepass.mail import MemoryOneTimeStore, OneTimeStore
from gatepass.mail.stores.redis import RedisOneTimeStore
from gatepass.mail.stores.sqlite import SQLiteOneTimeStore
from service_helpers import delete_keys
from tokens.stores.helpers import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["memory", "sqlite", "redis"])
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[OneTimeStore]:
    """Each contract test runs once per backend."""
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
