"""The ``UserStore`` contract, run against every backend (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from gatepass.errors import InvalidEmailError, UserExistsError
from gatepass.users import User, UserStore


async def test_store_satisfies_the_protocol(store: UserStore) -> None:
    assert isinstance(store, UserStore)


async def test_create_stores_an_active_user_with_normalized_email_and_clock_time(
    store: UserStore,
) -> None:
    user = await store.create(email="  Ann@Example.COM ", password_hash="h1", display_name="Ann")
    assert user.email == "ann@example.com"
    assert user.password_hash == "h1"
    assert user.is_active is True
    assert user.display_name == "Ann"
    assert user.created_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert user.created_at.tzinfo is not None
    assert await store.find_by_id(user.id) == user


async def test_ids_are_random_and_not_sequential(store: UserStore) -> None:
    ids = [(await store.create(email=f"u{n}@example.com", password_hash=None)).id for n in range(5)]
    assert len(set(ids)) == 5
    assert all(len(user_id) >= 22 and not user_id.isdigit() for user_id in ids)


async def test_find_by_email_folds_ascii_case_and_composes_unicode(store: UserStore) -> None:
    user = await store.create(email="Ünïcode@Example.com", password_hash="h")
    assert user.email == "Ünïcode@example.com"
    assert await store.find_by_email("ÜNïCODE@EXAMPLE.COM") == user
    # Decomposed "U + combining diaeresis" is the same text once composed (NFC).
    assert await store.find_by_email("U\u0308n\u0131\u0308code@example.com") is None
    assert await store.find_by_email("U\u0308ni\u0308code@example.com") == user
    # Non-ASCII case is not folded: another mailbox as far as anyone can prove.
    assert await store.find_by_email("ünïcode@example.com") is None


@pytest.mark.parametrize(
    ("stored", "other"),
    [
        ("ss@example.com", "\u00df@example.com"),  # "ß" is not "ss" (CWE-178)
        ("kelvin@example.com", "\u212aelvin@example.com"),  # Kelvin sign is refused
        ("finn@example.com", "\ufb01nn@example.com"),  # "ﬁ" ligature is refused
        ("ann@example.com", "\u0430nn@example.com"),  # Cyrillic a: its own account
    ],
)
async def test_find_by_email_keeps_different_mailboxes_apart(
    store: UserStore, stored: str, other: str
) -> None:
    await store.create(email=stored, password_hash="h")
    assert await store.find_by_email(other) is None


async def test_verify_email_marks_it_once(store: UserStore) -> None:
    user = await store.create(email="v@example.com", password_hash="h")
    assert user.email_verified is False
    verified = await store.verify_email(user.id)
    assert verified is not None
    assert (verified.email_verified, verified.password_hash) == (True, "h")
    assert await store.find_by_id(user.id) == verified
    assert await store.verify_email(user.id) is None
    assert await store.verify_email("no-such-id") is None


async def test_verify_email_can_remove_the_password_in_the_same_step(store: UserStore) -> None:
    user = await store.create(email="v@example.com", password_hash="h")
    taken = await store.verify_email(user.id, remove_password=True)
    assert taken is not None
    assert (taken.email_verified, taken.password_hash) == (True, None)
    assert await store.find_by_id(user.id) == taken


async def test_concurrent_verify_email_lets_one_win(store: UserStore) -> None:
    user = await store.create(email="v@example.com", password_hash="h")
    results = await asyncio.gather(*(store.verify_email(user.id) for _ in range(4)))
    assert sum(result is not None for result in results) == 1


async def test_change_email_moves_the_account_to_the_new_verified_address(
    store: UserStore,
) -> None:
    user = await store.create(email="old@example.com", password_hash="h")
    changed = await store.change_email(user.id, "  New@Example.COM ")
    assert changed is not None
    assert (changed.email, changed.email_verified, changed.password_hash) == (
        "new@example.com",
        True,
        "h",
    )
    assert await store.find_by_email("new@example.com") == changed
    assert await store.find_by_email("old@example.com") is None
    # The old address is free again.
    other = await store.create(email="old@example.com", password_hash="h")
    assert other.id != user.id


async def test_change_email_to_a_taken_address_raises_user_exists_409(store: UserStore) -> None:
    user = await store.create(email="a@example.com", password_hash="h")
    await store.create(email="b@example.com", password_hash="h")
    with pytest.raises(UserExistsError) as caught:
        await store.change_email(user.id, "B@example.com")
    assert caught.value.status_code == 409
    assert await store.find_by_id(user.id) == user


async def test_change_email_refuses_no_address_and_unknown_users(store: UserStore) -> None:
    user = await store.create(email="a@example.com", password_hash="h")
    with pytest.raises(InvalidEmailError):
        await store.change_email(user.id, "not an email")
    assert await store.change_email("no-such-id", "c@example.com") is None


async def test_change_email_to_its_own_address_keeps_the_account(store: UserStore) -> None:
    user = await store.create(email="a@example.com", password_hash="h")
    changed = await store.change_email(user.id, "A@example.com")
    assert changed is not None
    assert (changed.email, changed.email_verified) == ("a@example.com", True)


async def test_create_can_store_a_verified_email(store: UserStore) -> None:
    user = await store.create(email="p@example.com", password_hash=None, email_verified=True)
    assert user.email_verified is True
    assert await store.find_by_id(user.id) == user


async def test_find_unknown_returns_none(store: UserStore) -> None:
    assert await store.find_by_id("no-such-id") is None
    assert await store.find_by_email("nobody@example.com") is None
    assert await store.find_by_email("not an email") is None


async def test_duplicate_email_raises_user_exists_409(store: UserStore) -> None:
    await store.create(email="dup@example.com", password_hash="h")
    with pytest.raises(UserExistsError) as caught:
        await store.create(email="DUP@example.com ", password_hash="other")
    assert caught.value.status_code == 409
    assert caught.value.code == "user_exists"
    assert len(await store.list_users()) == 1


async def test_concurrent_duplicate_creates_one_wins_the_rest_get_user_exists(
    store: UserStore,
) -> None:
    results = await asyncio.gather(
        *(store.create(email="race@example.com", password_hash=f"h{n}") for n in range(6)),
        return_exceptions=True,
    )
    winners = [result for result in results if isinstance(result, User)]
    losers = [result for result in results if isinstance(result, UserExistsError)]
    assert len(winners) == 1
    assert len(losers) == 5
    assert await store.find_by_email("race@example.com") == winners[0]


async def test_create_refuses_text_that_is_no_email(store: UserStore) -> None:
    for bad in ("", "   ", "no-at-sign", "@example.com", "ann@", "a b@example.com", "a@x..y"):
        with pytest.raises(InvalidEmailError) as caught:
            await store.create(email=bad, password_hash="h")
        assert caught.value.status_code == 422
    assert await store.list_users() == []


async def test_user_without_password_hash_is_allowed(store: UserStore) -> None:
    user = await store.create(email="oauth@example.com", password_hash=None)
    assert user.password_hash is None
    assert not user.has_password
    assert (await store.find_by_id(user.id)) == user


async def test_set_password_hash_replaces_and_persists(store: UserStore) -> None:
    user = await store.create(email="pw@example.com", password_hash="old")
    updated = await store.set_password_hash(user.id, "new")
    assert updated is not None
    assert updated.password_hash == "new"
    assert updated.id == user.id
    assert updated.created_at == user.created_at
    found = await store.find_by_email("pw@example.com")
    assert found is not None
    assert found.password_hash == "new"
    cleared = await store.set_password_hash(user.id, None)
    assert cleared is not None
    assert cleared.password_hash is None


async def test_set_password_hash_of_unknown_user_returns_none(store: UserStore) -> None:
    assert await store.set_password_hash("no-such-id", "h") is None


async def test_set_password_hash_with_expected_replaces_only_the_expected_hash(
    store: UserStore,
) -> None:
    user = await store.create(email="cas@example.com", password_hash="old")
    updated = await store.set_password_hash(user.id, "rehashed", expected="old")
    assert updated is not None
    assert updated.password_hash == "rehashed"


async def test_set_password_hash_with_a_stale_expected_changes_nothing(store: UserStore) -> None:
    user = await store.create(email="cas@example.com", password_hash="old")
    await store.set_password_hash(user.id, "changed by the owner")
    assert await store.set_password_hash(user.id, "rehash of old", expected="old") is None
    found = await store.find_by_id(user.id)
    assert found is not None
    assert found.password_hash == "changed by the owner"
    assert await store.set_password_hash("no-such-id", "h", expected="old") is None


async def test_disable_persists_and_unknown_returns_none(store: UserStore) -> None:
    user = await store.create(email="off@example.com", password_hash="h")
    disabled = await store.disable(user.id)
    assert disabled is not None
    assert disabled.is_active is False
    found = await store.find_by_id(user.id)
    assert found is not None
    assert found.is_active is False
    assert await store.disable("no-such-id") is None


async def test_list_users_pages_oldest_first(store: UserStore) -> None:
    created = [
        await store.create(email=f"user{n}@example.com", password_hash=None) for n in range(5)
    ]
    assert await store.list_users() == created
    assert await store.list_users(limit=2) == created[:2]
    assert await store.list_users(limit=2, offset=2) == created[2:4]
    assert await store.list_users(offset=10) == []
