"""The ``mfa_token``: random, stored hashed, single-use, short-lived, few wrong codes.

Run on every one-time token store the server may use: memory, SQLite, Redis.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from gatepass.mail.stores import MemoryOneTimeStore, OneTimeStore
from gatepass.mfa import MFAChallenges
from mfa.conftest import Clock
from onetime_helpers import STORE_KINDS, open_one_time_store


@pytest.fixture(params=STORE_KINDS)
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, clock: Clock
) -> AsyncIterator[OneTimeStore]:
    """Each test runs once per one-time token store."""
    async with open_one_time_store(request, tmp_path, clock) as opened:
        yield opened


@pytest.fixture
def challenges(store: OneTimeStore, clock: Clock) -> MFAChallenges:
    """Challenges that survive two wrong codes."""
    return MFAChallenges(store, secret=os.urandom(32), max_attempts=3, clock=clock)


async def test_a_token_is_taken_once(challenges: MFAChallenges) -> None:
    token = await challenges.issue("u1")
    pending = await challenges.take(token)
    assert pending is not None
    assert pending.user_id == "u1"
    assert await challenges.take(token) is None


async def test_a_token_expires_after_five_minutes(challenges: MFAChallenges, clock: Clock) -> None:
    token = await challenges.issue("u1")
    clock.now += timedelta(minutes=5).total_seconds()
    assert await challenges.take(token) is None


async def test_the_store_never_holds_the_token(clock: Clock) -> None:
    store = MemoryOneTimeStore(clock=clock)
    token = await MFAChallenges(store, secret=os.urandom(32), clock=clock).issue("u1")
    assert token not in repr(store.__dict__)


async def test_a_put_back_token_survives_only_a_few_wrong_codes(
    challenges: MFAChallenges,
) -> None:
    token = await challenges.issue("u1")
    for _ in range(2):
        pending = await challenges.take(token)
        assert pending is not None
        assert await pending.put_back()
    pending = await challenges.take(token)
    assert pending is not None
    assert not await pending.put_back()
    assert await challenges.take(token) is None


async def test_a_token_is_bound_to_the_account_state_it_was_issued_in(
    challenges: MFAChallenges,
) -> None:
    token = await challenges.issue("u1", state="$argon2id$old")
    pending = await challenges.take(token)
    assert pending is not None
    assert pending.bound_to("$argon2id$old")
    assert not pending.bound_to("$argon2id$new")


async def test_an_unknown_or_oversized_token_is_none(challenges: MFAChallenges) -> None:
    assert await challenges.take("nope") is None
    assert await challenges.take("x" * 1000) is None
