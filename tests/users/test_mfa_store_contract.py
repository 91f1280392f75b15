"""The ``MFAStore`` contract, run against every backend: memory, SQLite, PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.engine import make_url

from gatepass.errors import StoreUnavailableError
from gatepass.mfa import MemoryMFAStore, MFAStore, SQLMFAStore
from gatepass.users import SQLUserStore, UserStore
from service_helpers import tcp_proxy


@pytest.fixture
def mfa(store: UserStore) -> MFAStore:
    """The MFA store beside each user store backend."""
    return SQLMFAStore(store) if isinstance(store, SQLUserStore) else MemoryMFAStore()


async def _user(store: UserStore, email: str = "ada@example.com") -> str:
    return (await store.create(email=email, password_hash=None)).id


async def test_a_new_user_has_no_totp_factor(store: UserStore, mfa: MFAStore) -> None:
    user_id = await _user(store)
    assert await mfa.get_totp(user_id) is None
    assert await mfa.count_recovery_codes(user_id) == 0


async def test_begin_keeps_an_unconfirmed_secret_and_replaces_it(
    store: UserStore, mfa: MFAStore
) -> None:
    user_id = await _user(store)
    assert await mfa.begin_totp(user_id, "k1:first")
    assert await mfa.begin_totp(user_id, "k1:second")
    record = await mfa.get_totp(user_id)
    assert record is not None
    assert (record.secret, record.confirmed, record.last_step) == ("k1:second", False, None)


async def test_confirm_turns_the_factor_on_once_with_its_recovery_codes(
    store: UserStore, mfa: MFAStore
) -> None:
    user_id = await _user(store)
    await mfa.begin_totp(user_id, "k1:secret")
    assert await mfa.confirm_totp(user_id, 100, ["a" * 64, "b" * 64])
    assert not await mfa.confirm_totp(user_id, 101, ["c" * 64])
    record = await mfa.get_totp(user_id)
    assert record is not None
    assert (record.confirmed, record.last_step) == (True, 100)
    assert await mfa.count_recovery_codes(user_id) == 2


async def test_begin_is_refused_while_a_confirmed_factor_exists(
    store: UserStore, mfa: MFAStore
) -> None:
    user_id = await _user(store)
    await mfa.begin_totp(user_id, "k1:secret")
    await mfa.confirm_totp(user_id, 100, [])
    assert not await mfa.begin_totp(user_id, "k1:other")
    record = await mfa.get_totp(user_id)
    assert record is not None
    assert record.secret == "k1:secret"


async def test_accept_step_takes_only_newer_steps(store: UserStore, mfa: MFAStore) -> None:
    user_id = await _user(store)
    await mfa.begin_totp(user_id, "k1:secret")
    assert not await mfa.accept_step(user_id, 101)  # not confirmed yet
    await mfa.confirm_totp(user_id, 100, [])
    assert not await mfa.accept_step(user_id, 100)
    assert not await mfa.accept_step(user_id, 99)
    assert await mfa.accept_step(user_id, 101)
    assert not await mfa.accept_step(user_id, 101)


async def test_two_concurrent_uses_of_one_step_accept_one(store: UserStore, mfa: MFAStore) -> None:
    user_id = await _user(store)
    await mfa.begin_totp(user_id, "k1:secret")
    await mfa.confirm_totp(user_id, 100, [])
    results = await asyncio.gather(*(mfa.accept_step(user_id, 101) for _ in range(4)))
    assert sorted(results) == [False, False, False, True]


async def test_a_recovery_code_is_used_once(store: UserStore, mfa: MFAStore) -> None:
    user_id = await _user(store)
    other = await _user(store, "bob@example.com")
    await mfa.begin_totp(user_id, "k1:secret")
    await mfa.confirm_totp(user_id, 100, ["a" * 64, "b" * 64])
    assert not await mfa.use_recovery_code(other, "a" * 64)
    assert await mfa.use_recovery_code(user_id, "a" * 64)
    assert not await mfa.use_recovery_code(user_id, "a" * 64)
    assert await mfa.count_recovery_codes(user_id) == 1


async def test_confirming_again_replaces_the_recovery_codes(
    store: UserStore, mfa: MFAStore
) -> None:
    user_id = await _user(store)
    await mfa.begin_totp(user_id, "k1:secret")
    await mfa.confirm_totp(user_id, 100, ["a" * 64])
    assert await mfa.remove_totp(user_id)
    await mfa.begin_totp(user_id, "k1:new")
    await mfa.confirm_totp(user_id, 200, ["b" * 64])
    assert not await mfa.use_recovery_code(user_id, "a" * 64)
    assert await mfa.count_recovery_codes(user_id) == 1


async def test_remove_deletes_the_factor_and_its_codes(store: UserStore, mfa: MFAStore) -> None:
    user_id = await _user(store)
    await mfa.begin_totp(user_id, "k1:secret")
    await mfa.confirm_totp(user_id, 100, ["a" * 64])
    assert await mfa.remove_totp(user_id)
    assert not await mfa.remove_totp(user_id)
    assert await mfa.get_totp(user_id) is None
    assert await mfa.count_recovery_codes(user_id) == 0


async def test_migration_0004_adds_the_mfa_tables_to_an_existing_database(
    sqlite_url: str,
) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    from gatepass.users import async_database_url, migrate

    engine = create_async_engine(async_database_url(sqlite_url))
    try:
        await migrate(engine, revision="0003_add_email_verified")
    finally:
        await engine.dispose()
    async with SQLUserStore(sqlite_url) as users:
        user_id = await _user(users)
        mfa = SQLMFAStore(users)
        assert await mfa.begin_totp(user_id, "k1:secret")
        assert await mfa.confirm_totp(user_id, 1, ["a" * 64])
        assert await mfa.count_recovery_codes(user_id) == 1


@pytest.mark.postgres
async def test_a_lost_database_fails_closed_and_recovers(postgres_url: str, pg_schema: str) -> None:
    target = make_url(postgres_url)
    async with tcp_proxy(target.port or 5432) as (port, proxy):
        proxied = target.set(host="127.0.0.1", port=port)
        async with SQLUserStore(proxied, schema=pg_schema) as users:
            user_id = await _user(users)
            mfa = SQLMFAStore(users)
            await mfa.begin_totp(user_id, "k1:secret")
            await mfa.confirm_totp(user_id, 100, ["a" * 64])
            proxy.cut()
            # Never "no factor" or "accepted" while the database is away: a 503.
            with pytest.raises(StoreUnavailableError):
                await mfa.get_totp(user_id)
            with pytest.raises(StoreUnavailableError):
                await mfa.accept_step(user_id, 101)
            with pytest.raises(StoreUnavailableError):
                await mfa.use_recovery_code(user_id, "a" * 64)
            proxy.restore()
            assert await mfa.accept_step(user_id, 101)
            assert await mfa.use_recovery_code(user_id, "a" * 64)
