"""Account linking: the ``IdentityStore`` contract and the ``link_or_create`` policy,
run on every backend (memory, SQLite file, PostgreSQL schema)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from gatepass.errors import (
    AccountLinkRequiredError,
    IdentityLinkedError,
    InvalidCredentialsError,
)
from gatepass.strategies import ProviderProfile
from gatepass.users import MemoryUserStore, SQLUserStore, User, UserStore
from gatepass.users.identities import IdentityStore, MemoryIdentityStore, link_or_create
from gatepass.users.identities_sql import SQLIdentityStore
from gatepass.users.schema import MIGRATIONS
from users.conftest import SteppingClock, pg_test_schema

Stores = tuple[UserStore, IdentityStore]


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def stores(
    request: pytest.FixtureRequest, clock: SteppingClock, sqlite_url: str
) -> AsyncIterator[Stores]:
    """A user store and an identity store on the same backend."""
    if request.param == "memory":
        yield MemoryUserStore(clock=clock), MemoryIdentityStore(clock=clock)
        return
    if request.param == "sqlite":
        async with SQLUserStore(sqlite_url, clock=clock) as users:
            yield users, SQLIdentityStore(users, clock=clock)
        return
    postgres_url: str = request.getfixturevalue("postgres_url")
    async with (
        pg_test_schema(postgres_url) as schema,
        SQLUserStore(postgres_url, schema=schema, clock=clock) as users,
    ):
        yield users, SQLIdentityStore(users, clock=clock)


def profile(
    subject: str = "sub-1",
    *,
    email: str | None = "ann@example.com",
    verified: bool = True,
    provider: str = "github",
    name: str | None = "Ann",
) -> ProviderProfile:
    return ProviderProfile(
        provider=provider, subject=subject, email=email, email_verified=verified, name=name
    )


# -- the IdentityStore contract -----------------------------------------------------


async def test_store_satisfies_the_protocol(stores: Stores) -> None:
    assert isinstance(stores[1], IdentityStore)


async def test_link_then_find_and_list(stores: Stores) -> None:
    users, identities = stores
    ann = await users.create(email="ann@example.com", password_hash=None)
    linked = await identities.link(ann.id, "github", "42", email="ann@example.com")
    assert linked.user_id == ann.id
    assert linked.created_at.tzinfo is not None
    assert await identities.find("github", "42") == linked
    assert await identities.find("github", "43") is None
    assert await identities.find("google", "42") is None
    second = await identities.link(ann.id, "google", "g-1")
    assert await identities.list_for_user(ann.id) == [linked, second]


async def test_linking_again_to_the_same_user_is_a_no_op(stores: Stores) -> None:
    users, identities = stores
    ann = await users.create(email="ann@example.com", password_hash=None)
    first = await identities.link(ann.id, "github", "42")
    assert await identities.link(ann.id, "github", "42") == first
    assert len(await identities.list_for_user(ann.id)) == 1


async def test_an_identity_links_to_one_user_only_409(stores: Stores) -> None:
    users, identities = stores
    ann = await users.create(email="ann@example.com", password_hash=None)
    bob = await users.create(email="bob@example.com", password_hash=None)
    await identities.link(ann.id, "github", "42")
    with pytest.raises(IdentityLinkedError) as caught:
        await identities.link(bob.id, "github", "42")
    assert caught.value.status_code == 409
    assert await identities.list_for_user(bob.id) == []


async def test_concurrent_links_of_one_identity_leave_one_winner(stores: Stores) -> None:
    users, identities = stores
    people = [await users.create(email=f"p{n}@example.com", password_hash=None) for n in range(4)]
    results = await asyncio.gather(
        *(identities.link(p.id, "github", "race") for p in people), return_exceptions=True
    )
    winners = [r for r in results if not isinstance(r, BaseException)]
    assert len(winners) == 1
    assert all(isinstance(r, IdentityLinkedError) for r in results if r not in winners)


async def test_unlink_only_by_the_owner(stores: Stores) -> None:
    users, identities = stores
    ann = await users.create(email="ann@example.com", password_hash=None)
    bob = await users.create(email="bob@example.com", password_hash=None)
    await identities.link(ann.id, "github", "42")
    assert await identities.unlink(bob.id, "github", "42") is False
    assert await identities.unlink(ann.id, "github", "42") is True
    assert await identities.unlink(ann.id, "github", "42") is False
    assert await identities.find("github", "42") is None


# -- the link_or_create policy ------------------------------------------------------


async def test_a_new_person_with_a_verified_email_gets_a_passwordless_account(
    stores: Stores,
) -> None:
    users, identities = stores
    user = await link_or_create(users, identities, profile())
    assert user.email == "ann@example.com"
    assert user.password_hash is None
    assert user.display_name == "Ann"
    linked = await identities.find("github", "sub-1")
    assert linked is not None
    assert linked.user_id == user.id


async def test_a_linked_identity_gives_its_user_whatever_the_email_says_now(
    stores: Stores,
) -> None:
    users, identities = stores
    first = await link_or_create(users, identities, profile())
    again = await link_or_create(users, identities, profile(email="new@example.com"))
    assert again == first
    assert len(await users.list_users()) == 1


async def test_a_new_person_signed_in_by_a_verified_email_has_a_verified_email(
    stores: Stores,
) -> None:
    users, identities = stores
    assert (await link_or_create(users, identities, profile())).email_verified
    unproved = await link_or_create(
        users, identities, profile("sub-2", email="bo@example.com", verified=False),
        allow_unverified_signup=True,
    )  # fmt: skip
    assert not unproved.email_verified


async def test_a_verified_email_links_the_verified_account_and_keeps_its_password(
    stores: Stores,
) -> None:
    users, identities = stores
    created = await users.create(email="Ann@Example.com", password_hash="argon2-hash")
    owner = await users.verify_email(created.id)
    user = await link_or_create(users, identities, profile(email="ANN@example.COM"))
    assert user == owner
    assert user.password_hash == "argon2-hash"
    assert [i.subject for i in await identities.list_for_user(created.id)] == ["sub-1"]


async def test_an_unverified_account_is_not_merged_without_ending_its_sessions(
    stores: Stores,
) -> None:
    users, identities = stores
    squatter = await users.create(email="ann@example.com", password_hash="attacker-hash")
    with pytest.raises(AccountLinkRequiredError, match="never confirmed") as caught:
        await link_or_create(users, identities, profile())
    assert caught.value.status_code == 409
    assert await identities.find("github", "sub-1") is None
    assert await users.find_by_id(squatter.id) == squatter


async def test_a_verified_sign_in_takes_over_an_unverified_account(stores: Stores) -> None:
    users, identities = stores
    # Pre-hijacking (Sudhodanan & Paverd 2022): someone registered the owner's address
    # with a password and linked a provider account of their own ("trojan identifier").
    squatter = await users.create(email="ann@example.com", password_hash="attacker-hash")
    await identities.link(squatter.id, "google", "attacker")
    ended: list[User] = []

    async def end_sessions(user: User) -> None:
        ended.append(user)

    user = await link_or_create(users, identities, profile(), end_sessions=end_sessions)
    assert user.id == squatter.id
    assert (user.password_hash, user.email_verified) == (None, True)
    assert ended == [user]
    assert [(i.provider, i.subject) for i in await identities.list_for_user(user.id)] == [
        ("github", "sub-1")
    ]
    assert await users.find_by_id(user.id) == user
    # The next sign-in is an ordinary one: nothing more is taken over or ended.
    assert await link_or_create(users, identities, profile(), end_sessions=end_sessions) == user
    assert len(ended) == 1


async def test_an_unverified_email_of_an_existing_account_does_not_link(
    stores: Stores,
) -> None:
    users, identities = stores
    owner = await users.create(email="ann@example.com", password_hash="h")
    with pytest.raises(AccountLinkRequiredError) as caught:
        await link_or_create(users, identities, profile(verified=False))
    assert caught.value.status_code == 409
    assert "Sign in with your password" in caught.value.message
    assert await identities.list_for_user(owner.id) == []
    assert await identities.find("github", "sub-1") is None


async def test_an_unverified_email_creates_no_account_unless_allowed(stores: Stores) -> None:
    users, identities = stores
    with pytest.raises(InvalidCredentialsError, match="did not confirm an email"):
        await link_or_create(users, identities, profile(verified=False))
    assert await users.list_users() == []
    user = await link_or_create(
        users, identities, profile(verified=False), allow_unverified_signup=True
    )
    assert user.email == "ann@example.com"


async def test_no_email_creates_no_account(stores: Stores) -> None:
    users, identities = stores
    with pytest.raises(InvalidCredentialsError):
        await link_or_create(users, identities, profile(email=None))
    assert await users.list_users() == []


async def test_invite_only_refuses_new_people_but_links_existing_ones(stores: Stores) -> None:
    users, identities = stores
    with pytest.raises(InvalidCredentialsError, match="cannot be created"):
        await link_or_create(users, identities, profile(), create_users=False)
    assert await users.list_users() == []
    owner = await users.create(email="ann@example.com", password_hash="h", email_verified=True)
    assert await link_or_create(users, identities, profile(), create_users=False) == owner


async def test_a_disabled_account_is_refused_and_gets_no_new_link(stores: Stores) -> None:
    users, identities = stores
    linked_user = await link_or_create(users, identities, profile())
    await users.disable(linked_user.id)
    with pytest.raises(InvalidCredentialsError, match="disabled"):
        await link_or_create(users, identities, profile())
    with pytest.raises(InvalidCredentialsError, match="disabled"):
        await link_or_create(users, identities, profile("sub-2", provider="google"))
    assert await identities.find("google", "sub-2") is None


async def test_concurrent_first_sign_ins_make_one_account(stores: Stores) -> None:
    users, identities = stores
    results = await asyncio.gather(
        *(link_or_create(users, identities, profile()) for _ in range(4))
    )
    assert len({user.id for user in results}) == 1
    assert len(await users.list_users()) == 1


# -- SQL specifics -------------------------------------------------------------------


async def test_sql_link_to_an_unknown_user_is_a_lookup_error(sqlite_url: str) -> None:
    async with SQLUserStore(sqlite_url) as users:
        with pytest.raises(LookupError):
            await SQLIdentityStore(users).link("no-such-user", "github", "42")


async def test_migration_0002_creates_the_identity_table_on_the_user_chain(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with SQLUserStore(sqlite_url) as users:
        user: User = await users.create(email="ann@example.com", password_hash=None)
        await SQLIdentityStore(users).link(user.id, "github", "42")
    with sqlite3.connect(tmp_path / "users.db") as db:
        versions = db.execute("SELECT version_num FROM gatepass_users_version").fetchall()
        columns = [row[1] for row in db.execute("PRAGMA table_info(gatepass_user_identities)")]
        rows = db.execute("SELECT provider, subject FROM gatepass_user_identities").fetchall()
    assert versions == [(ScriptDirectory(str(MIGRATIONS)).get_current_head(),)]
    assert columns == ["provider", "subject", "user_id", "email", "created_at"]
    assert rows == [("github", "42")]


async def test_migration_0003_marks_provider_made_accounts_verified(
    sqlite_url: str, tmp_path: Path
) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    from gatepass.users import async_database_url, migrate

    engine = create_async_engine(async_database_url(sqlite_url))
    try:
        await migrate(engine, revision="0002_create_user_identities")
    finally:
        await engine.dispose()
    with sqlite3.connect(tmp_path / "users.db") as db:
        db.executemany(
            "INSERT INTO gatepass_users VALUES (?, ?, ?, 1, '2026-01-01 00:00:00', NULL)",
            [("p", "pw@example.com", "hash"), ("s", "social@example.com", None)],
        )
        db.execute(
            "INSERT INTO gatepass_user_identities VALUES "
            "('github', '42', 's', NULL, '2026-01-01 00:00:00')"
        )
    async with SQLUserStore(sqlite_url) as users:
        password_user, social_user = await users.find_by_id("p"), await users.find_by_id("s")
    assert password_user is not None
    assert social_user is not None
    assert (password_user.email_verified, social_user.email_verified) == (False, True)


async def test_memory_store_takes_the_clock_for_created_at() -> None:
    identities = MemoryIdentityStore(clock=lambda: datetime(2026, 5, 1))
    linked = await identities.link("u1", "github", "42")
    assert linked.created_at == datetime(2026, 5, 1, tzinfo=UTC)
