"""The login check: right user or ``None``, same work for unknown users, hash upgrades."""

from __future__ import annotations

import threading
import tracemalloc

import anyio
import anyio.lowlevel
import pytest

from gatepass.passwords import (
    OWASP_MINIMUM,
    Argon2Parameters,
    PasswordHasher,
    verify_credentials,
)
from gatepass.users import MemoryUserStore, User
from passwords.password_helpers import FASTER


class CountingHasher(PasswordHasher):
    """A real hasher that also records which hashes ``verify`` was asked about."""

    def __init__(self, parameters: Argon2Parameters) -> None:
        super().__init__(parameters)
        self.verified: list[str] = []
        self.threads: list[int] = []

    def verify(self, password_hash: str, password: str) -> bool:
        self.verified.append(password_hash)
        self.threads.append(threading.get_ident())
        return super().verify(password_hash, password)


@pytest.fixture
def counting(hasher: PasswordHasher) -> CountingHasher:
    return CountingHasher(hasher.parameters)


async def _user(store: MemoryUserStore, hasher: PasswordHasher) -> User:
    return await store.create(email="ann@example.com", password_hash=hasher.hash("right password"))


async def test_right_password_returns_the_user(counting: CountingHasher) -> None:
    store = MemoryUserStore()
    user = await _user(store, counting)
    assert await verify_credentials(store, counting, " ANN@example.com ", "right password") == user


async def test_wrong_password_returns_none(counting: CountingHasher) -> None:
    store = MemoryUserStore()
    await _user(store, counting)
    assert await verify_credentials(store, counting, "ann@example.com", "wrong password") is None


async def test_unknown_email_is_verified_against_the_dummy_hash(counting: CountingHasher) -> None:
    store = MemoryUserStore()
    assert await verify_credentials(store, counting, "nobody@example.com", "whatever") is None
    assert counting.verified == [counting.dummy_hash]


async def test_text_that_is_no_email_still_costs_one_verify(counting: CountingHasher) -> None:
    store = MemoryUserStore()
    assert await verify_credentials(store, counting, "not an email", "whatever") is None
    assert counting.verified == [counting.dummy_hash]


async def test_account_without_password_is_refused_after_the_same_work(
    counting: CountingHasher,
) -> None:
    store = MemoryUserStore()
    await store.create(email="oauth@example.com", password_hash=None)
    assert await verify_credentials(store, counting, "oauth@example.com", "") is None
    assert counting.verified == [counting.dummy_hash]


async def test_disabled_user_is_refused_after_the_same_work(counting: CountingHasher) -> None:
    store = MemoryUserStore()
    user = await _user(store, counting)
    await store.disable(user.id)
    assert await verify_credentials(store, counting, "ann@example.com", "right password") is None
    assert counting.verified == [user.password_hash]


async def test_argon2_runs_off_the_event_loop_thread() -> None:
    hasher = CountingHasher(OWASP_MINIMUM)
    store = MemoryUserStore()
    await _user(store, hasher)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await anyio.lowlevel.checkpoint()

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(ticker)
        user = await verify_credentials(store, hasher, "ann@example.com", "right password")
        tasks.cancel_scope.cancel()
    assert user is not None
    assert hasher.threads
    assert threading.get_ident() not in hasher.threads
    # The loop kept serving other work while argon2 (~20 ms here) ran.
    assert ticks > 10


async def test_login_upgrades_a_hash_made_with_weaker_parameters(hasher: PasswordHasher) -> None:
    store = MemoryUserStore()
    old_hash = PasswordHasher(FASTER).hash("right password")
    user = await store.create(email="old@example.com", password_hash=old_hash)
    assert hasher.needs_rehash(old_hash)

    result = await verify_credentials(store, hasher, "old@example.com", "right password")

    assert result is not None
    stored = await store.find_by_id(user.id)
    assert stored is not None
    assert stored.password_hash != old_hash
    assert stored.password_hash == result.password_hash
    assert stored.password_hash is not None
    assert hasher.needs_rehash(stored.password_hash) is False
    assert hasher.verify(stored.password_hash, "right password")


async def test_wrong_password_never_upgrades_the_hash(hasher: PasswordHasher) -> None:
    store = MemoryUserStore()
    old_hash = PasswordHasher(FASTER).hash("right password")
    user = await store.create(email="old@example.com", password_hash=old_hash)
    assert await verify_credentials(store, hasher, "old@example.com", "wrong") is None
    stored = await store.find_by_id(user.id)
    assert stored is not None
    assert stored.password_hash == old_hash


async def test_current_hash_is_left_alone_and_rehash_can_be_turned_off(
    hasher: PasswordHasher,
) -> None:
    store = MemoryUserStore()
    current = await store.create(email="cur@example.com", password_hash=hasher.hash("pw pw pw"))
    old_hash = PasswordHasher(FASTER).hash("pw pw pw")
    old = await store.create(email="old@example.com", password_hash=old_hash)

    assert await verify_credentials(store, hasher, "cur@example.com", "pw pw pw") == current
    kept = await verify_credentials(store, hasher, "old@example.com", "pw pw pw", rehash=False)
    assert kept == old


@pytest.mark.parametrize("email", ["ann@example.com", "nobody@example.com", "\ud800@example.com"])
async def test_a_password_that_cannot_be_encoded_is_refused_not_an_error(
    counting: CountingHasher, email: str
) -> None:
    store = MemoryUserStore()
    await _user(store, counting)
    assert await verify_credentials(store, counting, email, "right \ud800 password") is None
    assert len(counting.verified) == 1


async def test_oversized_input_is_refused_without_normalizing_it(
    counting: CountingHasher,
) -> None:
    store = MemoryUserStore()
    await _user(store, counting)
    huge = "\ufdfa" * 200_000
    tracemalloc.start()
    try:
        by_email = await verify_credentials(store, counting, huge + "@example.com", "pw")
        by_password = await verify_credentials(store, counting, "ann@example.com", huge)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (by_email, by_password) == (None, None)
    # NFKC would have built 3.6 million characters (megabytes) on the event loop.
    assert peak < 1_000_000


class RacingStore(MemoryUserStore):
    """A real store where the password changes between the login's read and its rehash."""

    def __init__(self) -> None:
        super().__init__()
        self.changed_to: str | None = None

    async def find_by_email(self, email: str) -> User | None:
        user = await super().find_by_email(email)
        if user is not None and self.changed_to is not None:
            # The owner changes the password while this login's argon2 check runs.
            await self.set_password_hash(user.id, self.changed_to)
        return user


async def test_a_rehash_on_login_never_undoes_a_concurrent_password_change(
    hasher: PasswordHasher,
) -> None:
    store = RacingStore()
    old_hash = PasswordHasher(FASTER).hash("old password")
    user = await store.create(email="race@example.com", password_hash=old_hash)
    store.changed_to = hasher.hash("new password")

    result = await verify_credentials(store, hasher, "race@example.com", "old password")

    stored = await store.find_by_id(user.id)
    assert stored is not None
    # The new password stays; this login, right when its password was checked, still
    # gets in, with the user as it was read.
    assert stored.password_hash == store.changed_to
    assert result is not None
    assert result.password_hash == old_hash
