"""RefreshStore contract: every backend spends each record exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from redis.asyncio import Redis

from gatepass.errors import ConfigurationError, StoreUnavailableError
from gatepass.tokens.refresh import hash_refresh_token
from gatepass.tokens.stores import (
    RedisRefreshStore,
    RefreshRecord,
    RefreshStore,
    SpendResult,
    SQLiteRefreshStore,
)

from .helpers import START, Backend, unreachable_redis


def make_record(name: str = "token-1", *, lifetime: int = 3600) -> RefreshRecord:
    return RefreshRecord(
        token_hash=hash_refresh_token(name),
        family_id="family-1",
        subject="user-1",
        client_id="web",
        scope="openid profile",
        issued_at=START,
        expires_at=START + lifetime,
        family_issued_at=START - 60,
    )


async def test_spend_of_a_new_record_succeeds_and_returns_it(backend: Backend) -> None:
    record = make_record()
    await backend.refresh.add(record)

    assert await backend.refresh.spend(record.token_hash) == SpendResult("ok", record)


async def test_record_without_client_or_scope_round_trips(backend: Backend) -> None:
    record = RefreshRecord(
        token_hash=hash_refresh_token("bare"),
        family_id="f",
        subject="u",
        client_id=None,
        scope=None,
        issued_at=START,
        expires_at=START + 10,
        family_issued_at=START,
    )
    await backend.refresh.add(record)

    assert await backend.refresh.spend(record.token_hash) == SpendResult("ok", record)


async def test_second_spend_reports_reuse_with_the_record(backend: Backend) -> None:
    record = make_record()
    await backend.refresh.add(record)
    await backend.refresh.spend(record.token_hash)

    assert await backend.refresh.spend(record.token_hash) == SpendResult("reused", record)
    assert await backend.refresh.spend(record.token_hash) == SpendResult("reused", record)


async def test_spend_of_an_unknown_hash_reports_unknown(backend: Backend) -> None:
    await backend.refresh.add(make_record())

    assert await backend.refresh.spend(hash_refresh_token("never issued")) == SpendResult("unknown")


async def test_expired_record_is_unknown_even_when_spent_before(backend: Backend) -> None:
    fresh, spent = make_record("fresh", lifetime=100), make_record("spent", lifetime=100)
    await backend.refresh.add(fresh)
    await backend.refresh.add(spent)
    await backend.refresh.spend(spent.token_hash)

    backend.clock.advance(100)

    assert await backend.refresh.spend(fresh.token_hash) == SpendResult("unknown")
    assert await backend.refresh.spend(spent.token_hash) == SpendResult("unknown")


async def test_record_already_expired_when_added_is_not_kept(backend: Backend) -> None:
    record = make_record(lifetime=0)
    await backend.refresh.add(record)

    assert await backend.refresh.spend(record.token_hash) == SpendResult("unknown")


async def test_fifty_concurrent_spends_have_exactly_one_winner(backend: Backend) -> None:
    record = make_record()
    await backend.refresh.add(record)

    results = await asyncio.gather(*(backend.refresh.spend(record.token_hash) for _ in range(50)))

    assert [r.status for r in results].count("ok") == 1
    assert [r.status for r in results].count("reused") == 49


async def test_concurrent_spends_from_two_instances_have_exactly_one_winner(
    shared_backend: Backend,
) -> None:
    # Two instances, two connections: what two server processes sharing one store see.
    backend = shared_backend
    other: RefreshStore
    closers: list[Callable[[], Awaitable[None]]] = []
    if backend.redis_url is not None:
        client = Redis.from_url(backend.redis_url)
        other = RedisRefreshStore(client, prefix=backend.prefix, clock=backend.clock)
        closers.append(client.aclose)
    else:
        sqlite_other = SQLiteRefreshStore(backend.path, clock=backend.clock)
        other = sqlite_other
        closers.append(sqlite_other.aclose)
    try:
        record = make_record()
        await backend.refresh.add(record)

        results = await asyncio.gather(
            *((backend.refresh if i % 2 else other).spend(record.token_hash) for i in range(50))
        )

        assert [r.status for r in results].count("ok") == 1
    finally:
        for close in closers:
            await close()


async def test_redis_record_ttl_is_the_remaining_lifetime(redis_backend: Backend) -> None:
    backend = redis_backend
    record = make_record(lifetime=3600)
    backend.clock.advance(600)
    await backend.refresh.add(record)

    assert 2990 <= await backend.ttl(f"{backend.prefix}rt:{record.token_hash}") <= 3000


async def test_sqlite_store_fails_closed_when_the_database_cannot_be_opened(
    tmp_path: Path,
) -> None:
    # A directory where the database file should be: SQLite cannot open it.
    store = SQLiteRefreshStore(tmp_path, clock=lambda: START)

    with pytest.raises(StoreUnavailableError):
        await store.spend(hash_refresh_token("anything"))
    with pytest.raises(StoreUnavailableError):
        await store.add(make_record())
    await store.aclose()


async def test_redis_store_fails_closed_when_redis_is_unreachable() -> None:
    client = unreachable_redis()
    store = RedisRefreshStore(client, prefix="gatepass-test:", clock=lambda: START)
    try:
        with pytest.raises(StoreUnavailableError):
            await store.spend(hash_refresh_token("anything"))
        with pytest.raises(StoreUnavailableError):
            await store.add(make_record())
    finally:
        await client.aclose()


def test_sqlite_table_name_must_be_a_plain_identifier(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="identifier"):
        SQLiteRefreshStore(tmp_path / "t.sqlite3", table="tokens; DROP TABLE users")
