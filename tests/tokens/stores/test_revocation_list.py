"""RevocationList: logout, log-out-everywhere and the verifier's revocation check."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gatepass.errors import ConfigurationError, StoreUnavailableError
from gatepass.tokens.revocation import RevocationList
from gatepass.tokens.stores import MemoryRevocationStore, RedisRevocationStore

from .helpers import START, Backend, FakeClock, unreachable_redis


def claims(**extra: object) -> dict[str, object]:
    base: dict[str, object] = {
        "jti": "jti-1",
        "sub": "user-1",
        "sid": "family-1",
        "iat": START,
        "exp": START + 900,
    }
    return base | extra


async def test_logout_revokes_that_token_until_its_expiry(backend: Backend) -> None:
    revocations = RevocationList(backend.revocations, clock=backend.clock)

    await revocations.revoke_token(claims())

    assert await revocations.is_revoked(claims())
    assert not await revocations.is_revoked(claims(jti="jti-2", sid="family-2"))
    if backend.redis is not None:
        assert 890 <= await backend.ttl(f"{backend.prefix}rv:jti:jti-1") <= 900
    else:
        backend.clock.advance(900)
        assert not await revocations.is_revoked(claims())


async def test_log_out_everywhere_revokes_tokens_issued_before_now(backend: Backend) -> None:
    revocations = RevocationList(backend.revocations, clock=backend.clock)
    backend.clock.advance(60.7)

    await revocations.revoke_subject("user-1")

    assert await revocations.is_revoked(claims(iat=START + 59))
    assert not await revocations.is_revoked(claims(iat=START + 60))
    assert not await revocations.is_revoked(claims(sub="user-2", iat=START))


async def test_revoked_family_entry_outlives_the_longest_token(backend: Backend) -> None:
    revocations = RevocationList(
        backend.revocations,
        access_ttl=timedelta(minutes=15),
        refresh_ttl=timedelta(days=1),
        clock=backend.clock,
    )

    await revocations.revoke_family("family-1")

    if backend.redis is not None:
        assert 86390 <= await backend.ttl(f"{backend.prefix}rv:fid:family-1") <= 86400
        return
    backend.clock.advance(86399)
    assert await revocations.is_revoked({"sid": "family-1"})
    backend.clock.advance(1)
    assert not await revocations.is_revoked({"sid": "family-1"})


async def test_claims_of_the_wrong_types_are_not_used_as_keys() -> None:
    revocations = RevocationList(MemoryRevocationStore(clock=FakeClock()), clock=FakeClock())
    await revocations.revoke_subject("user-1", before=START)

    # A boolean is not a time: the token cannot prove it is newer, so it counts as old.
    assert await revocations.is_revoked(claims(iat=True))
    assert await revocations.is_revoked(claims(iat="later"))
    assert not await revocations.is_revoked(claims(sub=42, iat=True))


async def test_logout_of_a_token_without_jti_says_how_to_fix_it() -> None:
    revocations = RevocationList(MemoryRevocationStore())

    with pytest.raises(ConfigurationError, match="jti"):
        await revocations.revoke_token({"sub": "user-1"})


def test_non_positive_lifetimes_are_refused_at_construction() -> None:
    with pytest.raises(ConfigurationError):
        RevocationList(MemoryRevocationStore(), access_ttl=timedelta(0))


async def test_revocation_check_fails_closed_when_the_store_is_down() -> None:
    client = unreachable_redis()
    revocations = RevocationList(RedisRevocationStore(client))
    try:
        with pytest.raises(StoreUnavailableError):
            await revocations.is_revoked(claims())
    finally:
        await client.aclose()
