"""The user cache: served from memory while nothing changed, read afresh once anything did."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from gatepass._versions import SQLiteDataVersion
from gatepass.errors import ConfigurationError
from gatepass.users import MemoryUserStore, SQLUserStore, User
from gatepass.users.cache import UserCache


class CountingStore(MemoryUserStore):
    """The memory store, counting the lookups by id that reach it."""

    def __init__(self) -> None:
        super().__init__()
        self.lookups = 0
        self.gate: asyncio.Event | None = None

    async def find_by_id(self, user_id: str) -> User | None:
        self.lookups += 1
        if self.gate is not None:
            await self.gate.wait()
        return await super().find_by_id(user_id)


class Version:
    def __init__(self) -> None:
        self.number = 0

    def __call__(self) -> int:
        return self.number


async def test_a_user_is_read_once_while_nothing_changes() -> None:
    store, version = CountingStore(), Version()
    user = await store.create(email="ada@example.com", password_hash=None)
    cache = UserCache(store, version=version)

    for _ in range(5):
        assert await cache.find_by_id(user.id) == user
    assert store.lookups == 1
    assert cache.stats().hits == 4


async def test_a_change_anywhere_makes_the_next_lookup_read_the_store() -> None:
    store, version = CountingStore(), Version()
    user = await store.create(email="ada@example.com", password_hash=None)
    cache = UserCache(store, version=version)
    await cache.find_by_id(user.id)

    await store.disable(user.id)
    version.number += 1  # what another process's write does to the version
    found = await cache.find_by_id(user.id)
    assert found is not None
    assert not found.is_active


async def test_invalidate_in_this_process_is_seen_at_once() -> None:
    store, version = CountingStore(), Version()
    user = await store.create(email="ada@example.com", password_hash=None)
    cache = UserCache(store, version=version)
    await cache.find_by_id(user.id)

    await store.disable(user.id)
    cache.invalidate(user.id)
    found = await cache.find_by_id(user.id)
    assert found is not None
    assert not found.is_active


async def test_an_untrusted_version_never_serves_from_memory() -> None:
    store = CountingStore()
    user = await store.create(email="ada@example.com", password_hash=None)
    cache = UserCache(store, version=lambda: -1)

    for _ in range(3):
        await cache.find_by_id(user.id)
    assert store.lookups == 3
    assert cache.stats().entries == 0


async def test_a_change_landing_while_the_store_answers_is_not_hidden_by_that_answer() -> None:
    store, version = CountingStore(), Version()
    user = await store.create(email="ada@example.com", password_hash=None)
    cache = UserCache(store, version=version)
    store.gate = asyncio.Event()
    slow = asyncio.create_task(cache.find_by_id(user.id))
    await asyncio.sleep(0)  # the lookup has read the version and waits on the store

    await store.disable(user.id)
    version.number += 1
    store.gate.set()
    await slow  # this answer may predate the change: it must not be kept
    found = await cache.find_by_id(user.id)
    assert found is not None
    assert not found.is_active


async def test_entries_are_bounded_and_expire() -> None:
    store, now = CountingStore(), [0.0]
    users = [await store.create(email=f"u{n}@example.com", password_hash=None) for n in range(5)]
    cache = UserCache(
        store, version=lambda: 0, max_entries=3, max_age=timedelta(seconds=10),
        monotonic=lambda: now[0],
    )  # fmt: skip
    for user in users:
        await cache.find_by_id(user.id)
    assert cache.stats().entries == 3

    await cache.find_by_id(users[-1].id)
    assert store.lookups == 5
    now[0] = 11.0
    await cache.find_by_id(users[-1].id)
    assert store.lookups == 6


@pytest.mark.parametrize("size", [0, -1, True])
def test_a_bad_size_is_refused_with_its_fix(size: int) -> None:
    with pytest.raises(ConfigurationError, match="max_entries"):
        UserCache(MemoryUserStore(), version=lambda: 0, max_entries=size)


async def test_sqlite_writes_by_another_connection_reach_the_cache(tmp_path: Path) -> None:
    # Another process (``gatepass users disable``, an operator's sqlite3) writes the
    # file: PRAGMA data_version moves, and the next lookup reads the change.
    path = tmp_path / "users.db"
    async with SQLUserStore(f"sqlite+aiosqlite:///{path}") as store:
        user = await store.create(email="ada@example.com", password_hash=None)
        data_version = SQLiteDataVersion(path)
        cache = UserCache(store, version=data_version)
        try:
            assert (await cache.find_by_id(user.id)) == user
            assert (await cache.find_by_id(user.id)) == user
            with sqlite3.connect(path) as other:
                other.execute("UPDATE gatepass_users SET is_active = 0 WHERE id = ?", (user.id,))
            found = await cache.find_by_id(user.id)
            assert found is not None
            assert not found.is_active
        finally:
            data_version.close()


async def test_the_sql_store_calls_on_change_after_each_committed_write(tmp_path: Path) -> None:
    changes: list[str] = []

    async def changed() -> None:
        changes.append("changed")

    url = f"sqlite+aiosqlite:///{tmp_path / 'users.db'}"
    async with SQLUserStore(url, on_change=changed) as store:
        user = await store.create(email="ada@example.com", password_hash=None)
        await store.set_password_hash(user.id, "x")
        await store.disable(user.id)
        await store.find_by_id(user.id)
    assert changes == ["changed"] * 3


async def test_linked_identities_kept_in_memory_follow_links_made_elsewhere(
    tmp_path: Path,
) -> None:
    from gatepass.users import SQLIdentityStore

    url = f"sqlite+aiosqlite:///{tmp_path / 'users.db'}"
    async with SQLUserStore(url) as here, SQLUserStore(url) as elsewhere:
        user = await here.create(email="ada@example.com", password_hash=None)
        data_version = SQLiteDataVersion(tmp_path / "users.db")
        here.change_version = UserCache(here, version=data_version).version
        links = SQLIdentityStore(here)
        try:
            assert await links.list_for_user(user.id) == []
            assert await links.list_for_user(user.id) == []
            # Another process links a provider account: the next list shows it.
            await SQLIdentityStore(elsewhere).link(user.id, "github", "42")
            assert [link.subject for link in await links.list_for_user(user.id)] == ["42"]
            await SQLIdentityStore(elsewhere).unlink(user.id, "github", "42")
            assert await links.list_for_user(user.id) == []
        finally:
            data_version.close()
