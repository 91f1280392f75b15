"""The ``mfa_token``: random, stored hashed, single-use, short-lived, few wrong codes."""

from __future__ import annotations

import os
from datetime import timedelta

from gatepass.mail.stores import MemoryOneTimeStore
from gatepass.mfa import MFAChallenges
from mfa.conftest import Clock


def _challenges(clock: Clock, store: MemoryOneTimeStore | None = None) -> MFAChallenges:
    return MFAChallenges(
        store or MemoryOneTimeStore(clock=clock), secret=os.urandom(32), max_attempts=3, clock=clock
    )


async def test_a_token_is_taken_once(clock: Clock) -> None:
    challenges = _challenges(clock)
    token = await challenges.issue("u1")
    pending = await challenges.take(token)
    assert pending is not None
    assert pending.user_id == "u1"
    assert await challenges.take(token) is None


async def test_a_token_expires_after_five_minutes(clock: Clock) -> None:
    challenges = _challenges(clock)
    token = await challenges.issue("u1")
    clock.now += timedelta(minutes=5).total_seconds()
    assert await challenges.take(token) is None


async def test_the_store_never_holds_the_token(clock: Clock) -> None:
    store = MemoryOneTimeStore(clock=clock)
    token = await _challenges(clock, store).issue("u1")
    assert token not in repr(store.__dict__)


async def test_a_put_back_token_survives_only_a_few_wrong_codes(clock: Clock) -> None:
    challenges = _challenges(clock)
    token = await challenges.issue("u1")
    for _ in range(2):
        pending = await challenges.take(token)
        assert pending is not None
        assert await pending.put_back()
    pending = await challenges.take(token)
    assert pending is not None
    assert not await pending.put_back()
    assert await challenges.take(token) is None


async def test_an_unknown_or_oversized_token_is_none(clock: Clock) -> None:
    challenges = _challenges(clock)
    assert await challenges.take("nope") is None
    assert await challenges.take("x" * 1000) is None
