"""One-time tokens on every store: single use, purpose, expiry, account state."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from gatepass.errors import ConfigurationError, OneTimeTokenError
from gatepass.mail import MemoryOneTimeStore, OneTimeRecord, OneTimeStore, OneTimeTokens
from gatepass.mail.onetime import StateOf
from tokens.stores.helpers import FakeClock

SECRET = b"s" * 32


def tokens(store: OneTimeStore, clock: FakeClock) -> OneTimeTokens:
    return OneTimeTokens(store, secret=SECRET, clock=clock)


def state_is(state: str | None) -> StateOf:
    async def state_of(subject: str) -> str | None:
        return state

    return state_of


async def test_a_token_redeems_once_with_its_subject_and_data(
    store: OneTimeStore, clock: FakeClock
) -> None:
    service = tokens(store, clock)
    token = await service.issue("change_email", "user-1", state="a@example.com", data="b@x.org")
    redeemed = await service.redeem("change_email", token, state_of=state_is("a@example.com"))
    assert (redeemed.subject, redeemed.data) == ("user-1", "b@x.org")
    with pytest.raises(OneTimeTokenError):
        await service.redeem("change_email", token, state_of=state_is("a@example.com"))


async def test_a_token_of_another_purpose_is_refused(store: OneTimeStore, clock: FakeClock) -> None:
    service = tokens(store, clock)
    token = await service.issue("verify_email", "user-1", state="a@example.com")
    with pytest.raises(OneTimeTokenError):
        await service.redeem("reset_password", token, state_of=state_is("a@example.com"))


async def test_an_expired_token_is_refused(store: OneTimeStore, clock: FakeClock) -> None:
    service = tokens(store, clock)
    token = await service.issue("reset_password", "user-1", state="hash-1")
    clock.advance(timedelta(minutes=30).total_seconds() + 1)
    with pytest.raises(OneTimeTokenError):
        await service.redeem("reset_password", token, state_of=state_is("hash-1"))


async def test_a_reset_token_dies_when_the_password_changes(
    store: OneTimeStore, clock: FakeClock
) -> None:
    service = tokens(store, clock)
    token = await service.issue("reset_password", "user-1", state="hash-1")
    with pytest.raises(OneTimeTokenError):
        await service.redeem("reset_password", token, state_of=state_is("hash-2"))


async def test_a_token_of_a_deleted_account_is_refused(
    store: OneTimeStore, clock: FakeClock
) -> None:
    service = tokens(store, clock)
    token = await service.issue("verify_email", "user-1", state="a@example.com")
    with pytest.raises(OneTimeTokenError):
        await service.redeem("verify_email", token, state_of=state_is(None))


async def test_a_made_up_token_is_refused(store: OneTimeStore, clock: FakeClock) -> None:
    with pytest.raises(OneTimeTokenError):
        await tokens(store, clock).redeem("verify_email", "x" * 43, state_of=state_is("s"))


async def test_using_one_token_ends_the_others_of_that_purpose(
    store: OneTimeStore, clock: FakeClock
) -> None:
    service = tokens(store, clock)
    first = await service.issue("reset_password", "user-1", state="hash-1")
    second = await service.issue("reset_password", "user-1", state="hash-1")
    other_user = await service.issue("reset_password", "user-2", state="hash-9")
    await service.redeem("reset_password", second, state_of=state_is("hash-1"))
    with pytest.raises(OneTimeTokenError):
        await service.redeem("reset_password", first, state_of=state_is("hash-1"))
    assert (
        await service.redeem("reset_password", other_user, state_of=state_is("hash-9"))
    ).subject == "user-2"


async def test_a_code_and_its_link_are_one_sign_in(store: OneTimeStore, clock: FakeClock) -> None:
    service = tokens(store, clock)
    link = await service.issue("login_email", "user-1", state="a@example.com")
    code = await service.issue_code("login_email", "user-1", state="a@example.com")
    assert len(code) == 6
    assert code.isdigit()
    redeemed = await service.redeem_code(
        "login_email", "user-1", code, state_of=state_is("a@example.com")
    )
    assert redeemed.subject == "user-1"
    with pytest.raises(OneTimeTokenError):
        await service.redeem("login_email", link, state_of=state_is("a@example.com"))


async def test_a_code_works_only_for_its_own_account(store: OneTimeStore, clock: FakeClock) -> None:
    service = tokens(store, clock)
    code = await service.issue_code("login_email", "user-1", state="a@example.com")
    with pytest.raises(OneTimeTokenError):
        await service.redeem_code("login_email", "user-2", code, state_of=state_is("a@example.com"))
    with pytest.raises(OneTimeTokenError):
        await service.redeem_code(
            "login_email", "user-1", "12345x", state_of=state_is("a@example.com")
        )


async def test_revoke_ends_outstanding_tokens(store: OneTimeStore, clock: FakeClock) -> None:
    service = tokens(store, clock)
    token = await service.issue("verify_email", "user-1", state="a@example.com")
    await service.revoke("verify_email", "user-1")
    with pytest.raises(OneTimeTokenError):
        await service.redeem("verify_email", token, state_of=state_is("a@example.com"))


async def test_of_concurrent_redemptions_exactly_one_wins(
    store: OneTimeStore, clock: FakeClock
) -> None:
    service = tokens(store, clock)
    token = await service.issue("reset_password", "user-1", state="hash-1")
    results = await asyncio.gather(
        *(service.redeem("reset_password", token, state_of=state_is("hash-1")) for _ in range(8)),
        return_exceptions=True,
    )
    assert sum(not isinstance(result, BaseException) for result in results) == 1
    assert all(isinstance(r, OneTimeTokenError) for r in results if isinstance(r, BaseException))


async def test_the_store_never_holds_the_token(store: OneTimeStore, clock: FakeClock) -> None:
    service = tokens(store, clock)
    token = await service.issue("verify_email", "user-1", state="a@example.com")
    # Only the keyed hash of the token is a record's key: the token itself finds nothing.
    assert await store.take(token) is None
    records: list[OneTimeRecord | None] = [await store.take(token.encode().hex())]
    assert records == [None]


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="32 bytes"):
        OneTimeTokens(MemoryOneTimeStore(), secret=b"short")
