"""``SQLIdentityStore.unlink_unless_last``: an account always keeps a way in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from gatepass.users import SQLUserStore
from gatepass.users.identities_sql import SQLIdentityStore
from users.conftest import pg_test_schema

Stores = tuple[SQLUserStore, SQLIdentityStore]
USABLE = ("github", "google")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def stores(request: pytest.FixtureRequest, sqlite_url: str) -> AsyncIterator[Stores]:
    """A SQL user store and its identity store, on SQLite and PostgreSQL."""
    if request.param == "sqlite":
        async with SQLUserStore(sqlite_url) as users:
            yield users, SQLIdentityStore(users)
        return
    postgres_url: str = request.getfixturevalue("postgres_url")
    async with (
        pg_test_schema(postgres_url) as schema,
        SQLUserStore(postgres_url, schema=schema) as users,
    ):
        yield users, SQLIdentityStore(users)


async def test_the_last_link_of_a_passwordless_user_stays(stores: Stores) -> None:
    users, identities = stores
    ann = await users.create(email="ann@example.com", password_hash=None)
    await identities.link(ann.id, "github", "1")
    assert await identities.unlink_unless_last(ann.id, "github", "1", usable=USABLE) is False
    assert await identities.find("github", "1") is not None


async def test_a_link_goes_when_another_usable_link_remains(stores: Stores) -> None:
    users, identities = stores
    ann = await users.create(email="ann@example.com", password_hash=None)
    await identities.link(ann.id, "github", "1")
    await identities.link(ann.id, "google", "2")
    assert await identities.unlink_unless_last(ann.id, "github", "1", usable=USABLE) is True
    assert [link.provider for link in await identities.list_for_user(ann.id)] == ["google"]


async def test_a_link_to_an_unconfigured_provider_is_no_way_in(stores: Stores) -> None:
    users, identities = stores
    ann = await users.create(email="ann@example.com", password_hash=None)
    await identities.link(ann.id, "github", "1")
    await identities.link(ann.id, "retired", "2")
    assert await identities.unlink_unless_last(ann.id, "github", "1", usable=USABLE) is False


async def test_a_user_with_a_password_may_remove_every_link(stores: Stores) -> None:
    users, identities = stores
    ann = await users.create(email="ann@example.com", password_hash="$argon2id$stand-in")
    await identities.link(ann.id, "github", "1")
    assert await identities.unlink_unless_last(ann.id, "github", "1", usable=USABLE) is True
    assert await identities.list_for_user(ann.id) == []


async def test_only_the_owner_unlinks(stores: Stores) -> None:
    users, identities = stores
    ann = await users.create(email="ann@example.com", password_hash="$argon2id$stand-in")
    bob = await users.create(email="bob@example.com", password_hash="$argon2id$stand-in")
    await identities.link(ann.id, "github", "1")
    assert await identities.unlink_unless_last(bob.id, "github", "1", usable=USABLE) is False
    assert await identities.find("github", "1") is not None


async def test_concurrent_unlinks_of_the_two_last_links_leave_one(stores: Stores) -> None:
    users, identities = stores
    for attempt in range(5):
        ann = await users.create(email=f"ann{attempt}@example.com", password_hash=None)
        await identities.link(ann.id, "github", f"g{attempt}")
        await identities.link(ann.id, "google", f"o{attempt}")
        results = await asyncio.gather(
            identities.unlink_unless_last(ann.id, "github", f"g{attempt}", usable=USABLE),
            identities.unlink_unless_last(ann.id, "google", f"o{attempt}", usable=USABLE),
        )
        assert sorted(results) == [False, True]
        assert len(await identities.list_for_user(ann.id)) == 1
