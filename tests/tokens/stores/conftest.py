"""Fixtures for the token-state contract suites: one backend fixture, three stores."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from redis.asyncio import Redis

from gatepass.tokens.stores import (
    MemoryRefreshStore,
    MemoryRevocationStore,
    RedisRefreshStore,
    RedisRevocationStore,
    SQLiteRefreshStore,
    SQLiteRevocationStore,
)
from service_helpers import delete_keys

from .helpers import Backend, FakeClock


@asynccontextmanager
async def open_backend(
    name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Backend]:
    """Stores of one kind on a fresh clock; Redis gets a unique key prefix."""
    clock = FakeClock()
    prefix = f"gatepass-test:{uuid.uuid4().hex}:"
    path = tmp_path / "tokens.sqlite3"
    if name == "memory":
        yield Backend(
            "memory",
            clock,
            MemoryRefreshStore(clock=clock),
            MemoryRevocationStore(clock=clock),
            path,
            prefix,
        )
    elif name == "sqlite":
        refresh = SQLiteRefreshStore(path, clock=clock)
        revocations = SQLiteRevocationStore(path, clock=clock)
        try:
            yield Backend("sqlite", clock, refresh, revocations, path, prefix)
        finally:
            await refresh.aclose()
            await revocations.aclose()
    else:
        url: str = request.getfixturevalue("redis_url")
        client = Redis.from_url(url)
        try:
            yield Backend(
                "redis",
                clock,
                RedisRefreshStore(client, prefix=prefix, clock=clock),
                RedisRevocationStore(client, prefix=prefix, clock=clock),
                path,
                prefix,
                redis_url=url,
                redis=client,
            )
        finally:
            await delete_keys(client, f"{prefix}*")
            await client.aclose()


@pytest.fixture(params=["memory", "sqlite", "redis"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    """Each contract test runs once per backend."""
    async with open_backend(request.param, request, tmp_path) as opened:
        yield opened


@pytest.fixture(params=["sqlite", "redis"])
async def shared_backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    """The backends several processes can share (memory is one process's own)."""
    async with open_backend(request.param, request, tmp_path) as opened:
        yield opened


@pytest.fixture
async def redis_backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    """The Redis backend alone, for checks of the TTLs it sets."""
    async with open_backend("redis", request, tmp_path) as opened:
        yield opened
