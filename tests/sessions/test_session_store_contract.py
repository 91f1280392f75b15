"""The one contract every SessionStore keeps: memory, SQLite and Redis run the same tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gatepass.sessions import SessionRecord, SessionStore
from gatepass.sessions.stores.memory import MemorySessionStore
from gatepass.sessions.stores.redis import RedisSessionStore
from gatepass.sessions.stores.redis_cache import CachedRedisSessionStore
from gatepass.sessions.stores.sqlite import SQLiteSessionStore
from sessions.session_helpers import FakeClock
from sessions.store_helpers import open_cached, open_store

HOUR = timedelta(hours=1)


@pytest.fixture(params=["memory", "sqlite", "redis", "redis-cached"])
async def store(
    request: pytest.FixtureRequest, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[SessionStore]:
    """Every backend, and the Redis store behind its local cache (listener tracking)."""
    if request.param != "redis-cached":
        async for opened in open_store(request.param, request, clock, tmp_path):
            yield opened
        return
    cached: CachedRedisSessionStore = await open_cached(request.getfixturevalue("redis_url"))
    yield cached
    await cached.clear()
    await cached.close()


def _record(
    user_id: str | None = "alice",
    *,
    seen: datetime | None = None,
    data: dict[str, object] | None = None,
) -> SessionRecord:
    created = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    return SessionRecord(
        data={"n": 1, "nested": {"list": [1, "two"]}} if data is None else data,
        user_id=user_id,
        created_at=created,
        last_seen=seen or created,
        remember=True,
        user_agent="Firefox",
    )


def test_every_backend_satisfies_the_protocol(store: SessionStore) -> None:
    assert isinstance(store, SessionStore)


async def test_save_then_load_round_trips_the_record(store: SessionStore) -> None:
    record = _record()
    await store.save("id-1", record, ttl=HOUR)
    assert await store.load("id-1") == record


async def test_load_of_an_unknown_id_is_none(store: SessionStore) -> None:
    assert await store.load("never-saved") is None


async def test_save_replaces_the_previous_record(store: SessionStore) -> None:
    await store.save("id-1", _record(data={"v": 1}), ttl=HOUR)
    await store.save("id-1", _record(data={"v": 2}), ttl=HOUR)
    loaded = await store.load("id-1")
    assert loaded is not None
    assert loaded.data == {"v": 2}


async def test_a_save_that_must_find_its_session_never_brings_back_an_ended_one(
    store: SessionStore,
) -> None:
    assert await store.save("id-1", _record(data={"v": 1}), ttl=HOUR) is True
    assert await store.save("id-1", _record(data={"v": 2}), ttl=HOUR, must_exist=True) is True
    loaded = await store.load("id-1")
    assert loaded is not None
    assert loaded.data == {"v": 2}
    await store.delete_user_sessions("alice")  # "log out everywhere" from another request
    assert await store.save("id-1", _record(data={"v": 3}), ttl=HOUR, must_exist=True) is False
    assert await store.load("id-1") is None
    assert await store.list_user_sessions("alice") == []
    assert await store.save("never", _record(), ttl=HOUR, must_exist=True) is False
    assert await store.load("never") is None


async def test_anonymous_sessions_are_stored_without_a_user(store: SessionStore) -> None:
    await store.save("anon", _record(user_id=None), ttl=HOUR)
    loaded = await store.load("anon")
    assert loaded is not None
    assert loaded.user_id is None


async def test_delete_forgets_the_session_and_tolerates_unknown_ids(store: SessionStore) -> None:
    await store.save("id-1", _record(), ttl=HOUR)
    await store.delete("id-1")
    await store.delete("id-1")
    assert await store.load("id-1") is None
    assert await store.list_user_sessions("alice") == []


async def test_list_user_sessions_gives_metadata_newest_first(store: SessionStore) -> None:
    base = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    await store.save("old", _record(seen=base), ttl=HOUR)
    await store.save("new", _record(seen=base + timedelta(minutes=5)), ttl=HOUR)
    await store.save("bobs", _record("bob"), ttl=HOUR)
    sessions = await store.list_user_sessions("alice")
    assert [s.session_id for s in sessions] == ["new", "old"]
    assert sessions[0].user_agent == "Firefox"
    assert sessions[0].created_at == base
    assert sessions[0].remember is True
    assert len({s.handle for s in sessions}) == 2
    assert "new" not in repr(sessions[0])


async def test_delete_user_sessions_ends_all_but_the_kept_one(store: SessionStore) -> None:
    for session_id in ("a1", "a2", "a3"):
        await store.save(session_id, _record("alice"), ttl=HOUR)
    await store.save("b1", _record("bob"), ttl=HOUR)
    assert await store.delete_user_sessions("alice", except_id="a2") == 2
    assert [s.session_id for s in await store.list_user_sessions("alice")] == ["a2"]
    assert await store.load("a1") is None
    assert await store.load("b1") is not None
    assert await store.delete_user_sessions("alice") == 1
    assert await store.load("a2") is None
    assert await store.delete_user_sessions("nobody") == 0


async def test_a_deleted_session_is_not_counted_again(store: SessionStore) -> None:
    await store.save("a1", _record("alice"), ttl=HOUR)
    await store.save("a2", _record("alice"), ttl=HOUR)
    await store.delete("a1")
    assert await store.delete_user_sessions("alice") == 1


async def test_entries_expire_after_their_ttl(
    clocked_store: SessionStore, clock: FakeClock
) -> None:
    store = clocked_store
    await store.save("short", _record(), ttl=timedelta(minutes=5))
    await store.save("long", _record(), ttl=HOUR)
    clock.advance(timedelta(minutes=6))
    assert await store.load("short") is None
    assert [s.session_id for s in await store.list_user_sessions("alice")] == ["long"]
    assert await store.delete_user_sessions("alice") == 1


async def test_redis_sets_a_ttl_on_every_save(redis_url: str) -> None:
    prefix = f"test:{uuid.uuid4().hex}:"
    store = RedisSessionStore.from_url(redis_url, prefix=prefix)
    try:
        await store.save("id-1", _record(), ttl=timedelta(minutes=5))
        ttl = await store.client.pttl(f"{prefix}s:id-1")
        assert 0 < ttl <= 5 * 60 * 1000
        index = store.index_key("alice")
        index_ttl = await store.client.pttl(index)
        assert 0 < index_ttl <= 5 * 60 * 1000
        await store.save("id-2", _record(), ttl=HOUR)
        assert await store.client.pttl(index) > 5 * 60 * 1000
        await store.save("id-3", _record(), ttl=timedelta(minutes=1))
        assert await store.client.pttl(index) > 5 * 60 * 1000
    finally:
        await store.clear()
        await store.close()


async def test_sqlite_creates_its_table_on_first_use(tmp_path: Path) -> None:
    path = tmp_path / "nested-free.db"
    store = SQLiteSessionStore(path)
    try:
        assert not path.exists()
        await store.save("id-1", _record(), ttl=HOUR)
        assert path.exists()
    finally:
        await store.close()
    reopened = SQLiteSessionStore(path)
    try:
        assert await reopened.load("id-1") == _record()
    finally:
        await reopened.close()


def test_sqlite_rejects_a_table_name_that_is_not_an_identifier() -> None:
    with pytest.raises(ValueError, match="plain identifier"):
        SQLiteSessionStore(":memory:", table="x; DROP TABLE users")


async def test_memory_store_is_per_instance() -> None:
    first, second = MemorySessionStore(), MemorySessionStore()
    await first.save("id-1", _record(), ttl=HOUR)
    assert await second.load("id-1") is None


async def test_memory_store_purges_expired_sessions_as_it_is_used(clock: FakeClock) -> None:
    store = MemorySessionStore(clock=clock)
    anonymous = _record(user_id=None, data={"_gatepass_csrf": "x" * 43})
    for i in range(1_000):
        await store.save(f"old{i}", anonymous, ttl=timedelta(minutes=30))
    clock.advance(timedelta(days=1))
    for i in range(100):
        await store.save(f"new{i}", anonymous, ttl=timedelta(minutes=30))
    # Bounded work per call, yet expired entries go faster than new ones arrive.
    assert len(store) == 100


async def test_memory_store_purge_keeps_a_session_saved_again_with_a_later_expiry(
    clock: FakeClock,
) -> None:
    store = MemorySessionStore(clock=clock)
    await store.save("kept", _record(), ttl=timedelta(minutes=5))
    await store.save("kept", _record(), ttl=timedelta(hours=2))
    clock.advance(timedelta(minutes=10))
    await store.save("other", _record(), ttl=timedelta(minutes=30))
    assert await store.load("kept") is not None
    assert len(store) == 2
