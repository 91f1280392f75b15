"""The local session cache answers repeated loads, yet never outlives a change in Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from redis.asyncio import Redis

from gatepass.errors import ConfigurationError, DurationError, StoreUnavailableError
from gatepass.sessions import SessionRecord
from gatepass.sessions.stores.redis import RedisSessionStore
from gatepass.sessions.stores.redis_cache import CachedRedisSessionStore
from service_helpers import RedisProcess, running_redis
from sessions.store_helpers import DEADLINE, open_cached, opened_cached, until_loads, until_stats

HOUR = timedelta(hours=1)


def _record(user_id: str | None = "alice", data: dict[str, Any] | None = None) -> SessionRecord:
    created = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    return SessionRecord(
        data={"n": 1, "cart": {"items": [1, "two"]}} if data is None else data,
        user_id=user_id,
        created_at=created,
        last_seen=created,
        remember=True,
        user_agent="Firefox",
    )


@pytest.fixture
async def cached(redis_url: str) -> AsyncIterator[CachedRedisSessionStore]:
    async with opened_cached(redis_url) as store:
        yield store


@pytest.fixture
async def raw(redis_url: str) -> AsyncIterator[Redis]:
    """Another process's view of Redis: a plain client of its own."""
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def private_redis(redis_url: str) -> Iterator[RedisProcess]:
    # Depending on redis_url makes this mandatory in CI and skipped without Redis.
    with running_redis() as server:
        yield server


async def _cache_a_session(store: CachedRedisSessionStore, session_id: str = "s1") -> None:
    await store.save(session_id, _record(), ttl=HOUR)
    await store.load(session_id)
    hits = store.stats().hits
    assert await store.load(session_id) == _record()
    assert store.stats().hits == hits + 1


def _key(store: CachedRedisSessionStore, session_id: str = "s1") -> str:
    return store.inner.record_prefix + session_id


async def test_a_second_load_is_served_from_the_cache(cached: CachedRedisSessionStore) -> None:
    await cached.save("s1", _record(), ttl=HOUR)
    before = cached.stats()
    assert await cached.load("s1") == _record()
    assert await cached.load("s1") == _record()
    after = cached.stats()
    assert (after.misses, after.hits) == (before.misses + 1, before.hits + 1)
    assert after.entries == 1
    assert after.listener_id is not None


async def test_a_session_deleted_by_another_client_stops_loading(
    cached: CachedRedisSessionStore, raw: Redis
) -> None:
    await _cache_a_session(cached)
    await raw.delete(_key(cached))
    await until_loads(cached, "s1", lambda r: r is None, "the deleted session is gone")


async def test_a_session_rewritten_by_another_process_loads_its_new_record(
    cached: CachedRedisSessionStore, redis_url: str
) -> None:
    await _cache_a_session(cached)
    other = RedisSessionStore.from_url(redis_url, prefix=cached.inner.prefix)
    try:
        await other.save("s1", _record(data={"v": 2}), ttl=HOUR)
    finally:
        await other.close()
    await until_loads(
        cached, "s1", lambda r: r is not None and r.data == {"v": 2}, "the new record loads"
    )


async def test_a_session_expiring_in_redis_is_evicted(
    cached: CachedRedisSessionStore, raw: Redis
) -> None:
    await _cache_a_session(cached)
    await raw.pexpire(_key(cached), 50)
    await until_loads(cached, "s1", lambda r: r is None, "the expired session is gone")


async def test_flushdb_empties_the_cache(private_redis: RedisProcess) -> None:
    store = await open_cached(private_redis.url)
    client = Redis.from_url(private_redis.url)
    try:
        await _cache_a_session(store)
        flushes = store.stats().flushes
        await client.flushdb()
        await until_stats(store, lambda s: s.flushes > flushes, "the flush is reported")
        assert store.stats().entries == 0
        assert await store.load("s1") is None
    finally:
        await client.aclose()
        await store.close()


async def test_a_lost_listener_flushes_and_bypasses_the_cache_until_it_reconnects(
    private_redis: RedisProcess,
) -> None:
    store = await open_cached(private_redis.url, max_backoff=timedelta(milliseconds=100))
    setup = Redis.from_url(private_redis.url)
    await setup.acl_setuser(
        "admin", enabled=True, passwords=["+pw"], keys=["*"], channels=["*"], categories=["+@all"]
    )
    await setup.aclose()
    admin = Redis.from_url(private_redis.url, username="admin", password="pw")
    try:
        await _cache_a_session(store)
        # While the store's user may not run CLIENT, the listener cannot come back.
        await admin.acl_setuser("default", enabled=True, commands=["-client"])
        await admin.client_kill_filter(_id=str(store.stats().listener_id))
        await until_stats(store, lambda s: not s.active, "the listener loss is noticed")

        assert store.stats().entries == 0
        before = store.stats()
        await admin.delete(_key(store))
        assert await store.load("s1") is None
        await store.save("s1", _record(data={"v": 2}), ttl=HOUR)
        assert await store.load("s1") == _record(data={"v": 2})
        after = store.stats()
        assert (after.bypassed, after.hits, after.entries) == (before.bypassed + 2, before.hits, 0)

        await admin.acl_setuser("default", enabled=True, commands=["+client"])
        await until_stats(store, lambda s: s.active, "the listener reconnects")
        await store.load("s1")
        hits = store.stats().hits
        assert await store.load("s1") == _record(data={"v": 2})
        assert store.stats().hits == hits + 1
    finally:
        await admin.aclose()
        await store.close()


async def test_a_killed_redis_fails_closed_and_the_cache_recovers(
    private_redis: RedisProcess,
) -> None:
    inner = RedisSessionStore.from_url(private_redis.url, timeout=0.5)
    store = CachedRedisSessionStore(inner, max_backoff=timedelta(milliseconds=100))
    try:
        await store.load("warm-up")
        await until_stats(store, lambda s: s.active, "the listener tracks the prefix")
        await _cache_a_session(store)

        private_redis.kill()
        await until_stats(store, lambda s: not s.active, "the outage is noticed")
        assert store.stats().entries == 0
        for _ in range(2):
            with pytest.raises(StoreUnavailableError):
                await store.load("s1")

        private_redis.start()
        await until_stats(store, lambda s: s.active, "the listener reconnects")
        assert await store.load("s1") is None  # the new server kept nothing
    finally:
        await store.close()


async def test_the_least_recently_used_entry_goes_first(redis_url: str) -> None:
    async with opened_cached(redis_url, max_entries=2) as store:
        for session_id in ("a", "b", "c"):
            await store.save(session_id, _record(), ttl=HOUR)
        await store.load("a")
        await store.load("b")
        await store.load("a")  # now "b" is the least recently used
        evictions = store.stats().evictions
        await store.load("c")
        assert store.stats().entries == 2
        assert store.stats().evictions == evictions + 1
        hits, misses = store.stats().hits, store.stats().misses
        await store.load("a")
        await store.load("c")
        await store.load("b")
        assert (store.stats().hits, store.stats().misses) == (hits + 2, misses + 1)


async def test_a_record_older_than_max_age_is_read_again(redis_url: str) -> None:
    now = [1000.0]
    async with opened_cached(
        redis_url, max_age=timedelta(seconds=30), monotonic=lambda: now[0]
    ) as store:
        await _cache_a_session(store)
        now[0] += 29
        hits = store.stats().hits
        await store.load("s1")
        assert store.stats().hits == hits + 1
        now[0] += 2  # 31 s after it was read
        before = store.stats()
        assert await store.load("s1") == _record()
        after = store.stats()
        assert (after.hits, after.misses) == (before.hits, before.misses + 1)
        assert after.evictions == before.evictions + 1


async def test_changing_a_loaded_record_does_not_change_the_next_load(
    cached: CachedRedisSessionStore,
) -> None:
    await cached.save("s1", _record(), ttl=HOUR)
    for _ in range(3):  # a miss, then hits
        loaded = await cached.load("s1")
        assert loaded == _record()
        loaded.data["n"] = 99
        loaded.data["cart"]["items"].append("three")
    assert cached.stats().hits >= 2


async def test_a_missing_session_is_not_cached(
    cached: CachedRedisSessionStore, redis_url: str
) -> None:
    assert await cached.load("later") is None
    assert cached.stats().entries == 0
    other = RedisSessionStore.from_url(redis_url, prefix=cached.inner.prefix)
    try:
        await other.save("later", _record(), ttl=HOUR)
    finally:
        await other.close()
    assert await cached.load("later") == _record()


async def test_writes_through_the_cache_are_seen_at_once(cached: CachedRedisSessionStore) -> None:
    await _cache_a_session(cached)
    await cached.save("s1", _record(data={"v": 2}), ttl=HOUR)
    assert await cached.load("s1") == _record(data={"v": 2})
    await cached.delete("s1")
    assert await cached.load("s1") is None

    await _cache_a_session(cached, "a1")
    await _cache_a_session(cached, "a2")
    assert await cached.delete_user_sessions("alice", except_id="a2") == 1
    assert await cached.load("a1") is None
    assert await cached.load("a2") == _record()
    assert [s.session_id for s in await cached.list_user_sessions("alice")] == ["a2"]


async def test_close_stops_the_listener_and_its_connection(redis_url: str, raw: Redis) -> None:
    store = await open_cached(redis_url)
    listener_id = store.stats().listener_id
    await store.clear()
    await store.close()
    assert not store.stats().active
    clients = await raw.client_list()
    assert str(listener_id) not in {client["id"] for client in clients}


def test_bad_options_fail_at_construction(redis_url: str) -> None:
    inner = RedisSessionStore.from_url(redis_url)
    with pytest.raises(ConfigurationError, match="max_entries"):
        CachedRedisSessionStore(inner, max_entries=0)
    with pytest.raises(DurationError, match="max_age"):
        CachedRedisSessionStore(inner, max_age=timedelta(0))


class ReplyGate:
    """A TCP relay to Redis that can hold back the next bulk-string reply (a GET's answer).

    Pub/Sub messages are arrays and pass; so a load can be kept waiting for its answer,
    which Redis already sent, while the listener hears what changed meanwhile.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.holding = False
        self.held = asyncio.Event()
        self.release = asyncio.Event()
        self._writers: set[asyncio.StreamWriter] = set()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(
            "127.0.0.1", self.target_port
        )
        self._writers.update({writer, upstream_writer})
        await asyncio.gather(
            self._pipe(reader, upstream_writer, replies=False),
            self._pipe(upstream_reader, writer, replies=True),
        )

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, replies: bool
    ) -> None:
        try:
            while data := await reader.read(65536):
                if replies and self.holding and data.startswith(b"$"):
                    self.holding = False
                    self.held.set()
                    await self.release.wait()
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()

    def close(self) -> None:
        self.release.set()
        for writer in self._writers:
            writer.close()


@asynccontextmanager
async def reply_gate(redis_url: str) -> AsyncIterator[tuple[str, ReplyGate]]:
    """A :class:`ReplyGate` in front of ``redis_url``; yields the URL to reach Redis through it."""
    target = int(redis_url.rsplit(":", 1)[1].split("/")[0])
    gate = ReplyGate(target)
    server = await asyncio.start_server(gate.handle, "127.0.0.1", 0)
    try:
        yield f"redis://127.0.0.1:{server.sockets[0].getsockname()[1]}/0", gate
    finally:
        gate.close()
        server.close()
        with suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 2)


async def _load_held_by(
    store: CachedRedisSessionStore, gate: ReplyGate
) -> asyncio.Task[SessionRecord | None]:
    gate.holding = True
    load = asyncio.create_task(store.load("s1"))
    await asyncio.wait_for(gate.held.wait(), DEADLINE)  # Redis answered; the answer waits
    return load


async def test_a_change_during_a_load_keeps_its_answer_out_of_the_cache(
    redis_url: str, raw: Redis
) -> None:
    async with reply_gate(redis_url) as (gated_url, gate), opened_cached(gated_url) as store:
        await store.save("s1", _record(), ttl=HOUR)
        load = await _load_held_by(store, gate)
        invalidations = store.stats().invalidations
        await raw.delete(_key(store))
        await until_stats(store, lambda s: s.invalidations > invalidations, "the change is heard")
        gate.release.set()
        assert await load == _record()  # the answer Redis gave is returned...
        assert await store.load("s1") is None  # ...but was not kept


async def test_a_listener_reconnect_during_a_load_keeps_its_answer_out_of_the_cache(
    redis_url: str, raw: Redis
) -> None:
    async with reply_gate(redis_url) as (gated_url, gate), opened_cached(gated_url) as store:
        await store.save("s1", _record(), ttl=HOUR)
        load = await _load_held_by(store, gate)
        listener_id = store.stats().listener_id
        await raw.client_kill_filter(_id=str(listener_id))
        await raw.delete(_key(store))
        await until_stats(
            store,
            lambda s: s.active and s.listener_id not in (None, listener_id),
            "the listener reconnects",
        )
        gate.release.set()
        assert await load == _record()
        assert await store.load("s1") is None


async def test_a_load_finishing_first_does_not_take_the_place_of_one_still_in_flight(
    redis_url: str, raw: Redis
) -> None:
    async with reply_gate(redis_url) as (gated_url, gate), opened_cached(gated_url) as store:
        await store.save("s1", _record(), ttl=HOUR)
        held = await _load_held_by(store, gate)  # its GET answered, the answer held
        assert await store.load("s1") == _record()  # a second load overtakes it
        await store.delete("s1")
        await store.save("s1", _record(), ttl=HOUR)
        invalidations = store.stats().invalidations
        await raw.delete(_key(store))  # ended elsewhere while the first is in flight
        await until_stats(store, lambda s: s.invalidations > invalidations, "the change is heard")
        gate.release.set()
        assert await held == _record()  # answered, without an error...
        assert await store.load("s1") is None  # ...and not kept
