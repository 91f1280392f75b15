"""Fixtures for session tests: a settable clock and every store backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gatepass.sessions import MemorySessionStore, SessionStore
from sessions.session_helpers import FakeClock
from sessions.store_helpers import open_store


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def memory_store(clock: FakeClock) -> MemorySessionStore:
    return MemorySessionStore(clock=clock)


@pytest.fixture(params=["memory", "sqlite", "redis"])
async def store(
    request: pytest.FixtureRequest, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[SessionStore]:
    """Every backend, one at a time; Redis keys get a per-test prefix and are removed."""
    async for opened in open_store(request.param, request, clock, tmp_path):
        yield opened


@pytest.fixture(params=["memory", "sqlite"])
async def clocked_store(
    request: pytest.FixtureRequest, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[SessionStore]:
    """The backends that expire entries on the injected clock (Redis uses its own)."""
    async for opened in open_store(request.param, request, clock, tmp_path):
        yield opened
