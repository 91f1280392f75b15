"""Fixtures of the outage tests: a private Redis process and a fresh PostgreSQL database."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest

from faults.fault_helpers import RedisProcess, free_port, fresh_database


@pytest.fixture
def own_redis() -> Iterator[RedisProcess]:
    """A ``redis-server`` of this test on a free port (never the shared one), killed after."""
    if not RedisProcess.available():
        reason = "redis-server is not installed; the Redis outage test starts its own"
        if os.environ.get("GATEPASS_REQUIRE_SERVICES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    server = RedisProcess(free_port())
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
async def fault_database(postgres_url: str) -> AsyncIterator[str]:
    """A fresh PostgreSQL database of this test, dropped afterwards."""
    async with fresh_database(postgres_url, "gp_fault_") as url:
        yield url
