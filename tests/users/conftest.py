"""User-store fixtures: one ``store`` fixture per backend, for the shared contract suite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gatepass.users import MemoryUserStore, SQLUserStore, UserStore
from service_helpers import fresh_schema

START = datetime(2026, 1, 1, tzinfo=UTC)


class SteppingClock:
    """A clock that moves one second each time it is read."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        moment = self.now
        self.now += timedelta(seconds=1)
        return moment


@pytest.fixture
def clock() -> SteppingClock:
    """A fresh stepping clock starting at 2026-01-01T00:00:00Z."""
    return SteppingClock()


def pg_test_schema(postgres_url: str) -> AbstractAsyncContextManager[str]:
    """Create a schema of our own in the test database; drop it (and only it) afterwards."""
    return fresh_schema(postgres_url, "gatepass_users_test_")


@pytest.fixture
async def pg_schema(postgres_url: str) -> AsyncIterator[str]:
    """A fresh PostgreSQL schema with a random name, dropped after the test."""
    async with pg_test_schema(postgres_url) as name:
        yield name


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite database file in this test's temporary folder."""
    return f"sqlite:///{tmp_path / 'users.db'}"


@pytest.fixture(
    params=[
        "memory",
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
    ]
)
async def store(
    request: pytest.FixtureRequest, clock: SteppingClock, sqlite_url: str
) -> AsyncIterator[UserStore]:
    """Every ``UserStore`` backend in turn: memory, SQLite file, PostgreSQL schema."""
    if request.param == "memory":
        yield MemoryUserStore(clock=clock)
        return
    if request.param == "sqlite":
        sql = SQLUserStore(sqlite_url, clock=clock)
    else:
        postgres_url: str = request.getfixturevalue("postgres_url")
        async with (
            pg_test_schema(postgres_url) as schema,
            SQLUserStore(postgres_url, schema=schema, clock=clock) as sql,
        ):
            yield sql
        return
    async with sql:
        yield sql
