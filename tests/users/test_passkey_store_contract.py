"""The ``PasskeyStore`` contract, run against every backend: memory, SQLite, PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from gatepass.mfa import MemoryPasskeyStore, Passkey, PasskeyStore, SQLPasskeyStore
from gatepass.users import SQLUserStore, UserStore

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def passkeys(store: UserStore) -> PasskeyStore:
    """The passkey store beside each user store backend."""
    return SQLPasskeyStore(store) if isinstance(store, SQLUserStore) else MemoryPasskeyStore()


def _passkey(user_id: str, credential_id: bytes, *, minutes: int = 0) -> Passkey:
    return Passkey(
        credential_id=credential_id,
        user_id=user_id,
        public_key=b"\xa5cose-key",
        sign_count=0,
        transports=("internal", "hybrid"),
        backup_eligible=True,
        backed_up=False,
        aaguid="00000000-0000-0000-0000-000000000000",
        name="Laptop",
        created_at=T0 + timedelta(minutes=minutes),
    )


async def _user(store: UserStore, email: str = "ada@example.com") -> str:
    return (await store.create(email=email, password_hash=None)).id


async def test_a_passkey_round_trips_with_every_fact(
    store: UserStore, passkeys: PasskeyStore
) -> None:
    user_id = await _user(store)
    key = _passkey(user_id, b"\x00\xffid-1" * 40)
    assert await passkeys.add_passkey(key)
    assert await passkeys.find_passkey(key.credential_id) == key
    assert await passkeys.find_passkey(b"other") is None


async def test_a_credential_id_is_registered_once(store: UserStore, passkeys: PasskeyStore) -> None:
    ada, bob = await _user(store), await _user(store, "bob@example.com")
    assert await passkeys.add_passkey(_passkey(ada, b"id-1"))
    assert not await passkeys.add_passkey(_passkey(bob, b"id-1"))
    found = await passkeys.find_passkey(b"id-1")
    assert found is not None
    assert found.user_id == ada


async def test_a_users_passkeys_are_listed_oldest_first(
    store: UserStore, passkeys: PasskeyStore
) -> None:
    ada, bob = await _user(store), await _user(store, "bob@example.com")
    await passkeys.add_passkey(_passkey(ada, b"late", minutes=5))
    await passkeys.add_passkey(_passkey(ada, b"early"))
    await passkeys.add_passkey(_passkey(bob, b"bobs"))
    assert [key.credential_id for key in await passkeys.list_passkeys(ada)] == [b"early", b"late"]


async def test_the_sign_count_moves_by_compare_and_set(
    store: UserStore, passkeys: PasskeyStore
) -> None:
    user_id = await _user(store)
    await passkeys.add_passkey(_passkey(user_id, b"id-1"))
    results = await asyncio.gather(
        *(
            passkeys.record_use(b"id-1", expected_count=0, new_count=1, backed_up=True)
            for _ in range(3)
        )
    )
    assert sorted(results) == [False, False, True]
    found = await passkeys.find_passkey(b"id-1")
    assert found is not None
    assert (found.sign_count, found.backed_up) == (1, True)


async def test_only_the_owner_renames_or_removes(store: UserStore, passkeys: PasskeyStore) -> None:
    ada, bob = await _user(store), await _user(store, "bob@example.com")
    await passkeys.add_passkey(_passkey(ada, b"id-1"))
    assert not await passkeys.rename_passkey(bob, b"id-1", "Mine now")
    assert await passkeys.rename_passkey(ada, b"id-1", "Phone")
    found = await passkeys.find_passkey(b"id-1")
    assert found is not None
    assert found.name == "Phone"
    assert not await passkeys.remove_passkey(bob, b"id-1")
    assert await passkeys.remove_passkey(ada, b"id-1")
    assert await passkeys.find_passkey(b"id-1") is None
