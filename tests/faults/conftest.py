"""Fixtures of the outage tests: a private Redis process and a fresh PostgreSQL database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from service_helpers import RedisProcess, fresh_database, running_redis


@pytest.fixture
def own_redis() -> Iterator[RedisProcess]:
    """A ``redis-server`` of this test on a free port (never the shared one), killed after."""
    with running_redis() as server:
        yield server


@pytest.fixture
async def fault_database(postgres_url: str) -> AsyncIterator[str]:
    """A fresh PostgreSQL database of this test, dropped afterwards."""
    async with fresh_database(postgres_url, "gp_fault_") as url:
        yield url
