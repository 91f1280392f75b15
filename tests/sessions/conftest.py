"""Fixtures for session tests: a settable clock and every store backend."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gatepass.sessions import MemorySessionStore, SessionStore
from gatepass.sessions.stores.redis import RedisSessionStore
from gatepass.sessions.stores.sqlite import SQLiteSessionStore
from sessions.session_helpers import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def memory_store(clock: FakeClock) -> MemorySessionStore:
    return MemorySessionStore(clock=clock)


async def _open(
    kind: str, request: pytest.FixtureRequest, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[SessionStore]:
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


@pytest.fixture(params=["memory", "sqlite", "redis"])
async def store(
    request: pytest.FixtureRequest, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[SessionStore]:
    """Every backend, one at a time; Redis keys get a per-test prefix and are removed."""
    async for opened in _open(request.param, request, clock, tmp_path):
        yield opened


@pytest.fixture(params=["memory", "sqlite"])
async def clocked_store(
    request: pytest.FixtureRequest, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[SessionStore]:
    """The backends that expire entries on the injected clock (Redis uses its own)."""
    async for opened in _open(request.param, request, clock, tmp_path):
        yield opened
