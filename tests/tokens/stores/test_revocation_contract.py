"""RevocationStore contract: the same answers, and the same forgetting, on every backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from gatepass.errors import StoreUnavailableError
from gatepass.tokens.stores import RedisRevocationStore, SQLiteRevocationStore

from .helpers import START, Backend, unreachable_redis


async def test_nothing_is_revoked_in_an_empty_store(backend: Backend) -> None:
    store = backend.revocations

    assert not await store.is_revoked()
    assert not await store.is_revoked(jti="a", family_id="f", subject="u", issued_at=START)


async def test_revoked_jti_is_reported_and_others_are_not(backend: Backend) -> None:
    await backend.revocations.revoke_token("jti-1", expires_at=START + 900)

    assert await backend.revocations.is_revoked(jti="jti-1")
    assert await backend.revocations.is_revoked(jti="jti-1", family_id="f", subject="u")
    assert not await backend.revocations.is_revoked(jti="jti-2")


async def test_revoked_family_is_reported_for_any_token_of_it(backend: Backend) -> None:
    await backend.revocations.revoke_family("family-1", expires_at=START + 900)

    assert await backend.revocations.is_revoked(jti="any", family_id="family-1")
    assert not await backend.revocations.is_revoked(jti="any", family_id="family-2")


async def test_subject_cutoff_revokes_only_tokens_issued_before_it(backend: Backend) -> None:
    await backend.revocations.revoke_subject("user-1", before=START, expires_at=START + 900)

    assert await backend.revocations.is_revoked(subject="user-1", issued_at=START - 1)
    assert not await backend.revocations.is_revoked(subject="user-1", issued_at=START)
    assert not await backend.revocations.is_revoked(subject="user-1", issued_at=START + 5)
    assert not await backend.revocations.is_revoked(subject="user-2", issued_at=START - 1)


async def test_subject_cutoff_treats_a_token_without_iat_as_old(backend: Backend) -> None:
    await backend.revocations.revoke_subject("user-1", before=START, expires_at=START + 900)

    assert await backend.revocations.is_revoked(subject="user-1", issued_at=None)


async def test_later_subject_cutoff_wins_and_an_earlier_one_does_not_undo_it(
    backend: Backend,
) -> None:
    store = backend.revocations
    await store.revoke_subject("user-1", before=START, expires_at=START + 900)
    await store.revoke_subject("user-1", before=START + 100, expires_at=START + 1000)
    await store.revoke_subject("user-1", before=START + 50, expires_at=START + 950)

    assert await store.is_revoked(subject="user-1", issued_at=START + 99)
    assert not await store.is_revoked(subject="user-1", issued_at=START + 100)


async def test_entries_expire_with_the_tokens_they_revoke(backend: Backend) -> None:
    store = backend.revocations
    await store.revoke_token("jti-1", expires_at=START + 900)
    await store.revoke_family("family-1", expires_at=START + 900)
    await store.revoke_subject("user-1", before=START, expires_at=START + 900)
    if backend.redis is not None:
        # Redis expires keys on its own clock: check the TTL it was given instead.
        for kind, value in [("jti", "jti-1"), ("fid", "family-1"), ("sub", "user-1")]:
            assert 890 <= await backend.ttl(f"{backend.prefix}rv:{kind}:{value}") <= 900
        return
    backend.clock.advance(899)
    assert await store.is_revoked(jti="jti-1")

    backend.clock.advance(1)

    assert not await store.is_revoked(jti="jti-1")
    assert not await store.is_revoked(family_id="family-1")
    assert not await store.is_revoked(subject="user-1", issued_at=START - 1)


async def test_revoking_with_an_expiry_in_the_past_keeps_nothing(backend: Backend) -> None:
    await backend.revocations.revoke_token("jti-1", expires_at=START)
    await backend.revocations.revoke_subject("user-1", before=START, expires_at=START - 1)

    assert not await backend.revocations.is_revoked(jti="jti-1")
    assert not await backend.revocations.is_revoked(subject="user-1", issued_at=START - 10)


async def test_revocation_written_by_one_instance_is_seen_by_another(
    shared_backend: Backend,
) -> None:
    backend = shared_backend
    if backend.redis is not None:
        other = RedisRevocationStore(backend.redis, prefix=backend.prefix, clock=backend.clock)
        await other.revoke_token("jti-1", expires_at=START + 900)
    else:
        async with SQLiteRevocationStore(backend.path, clock=backend.clock) as sqlite_other:
            await sqlite_other.revoke_token("jti-1", expires_at=START + 900)

    assert await backend.revocations.is_revoked(jti="jti-1")


async def test_sqlite_revocations_fail_closed_when_the_database_cannot_be_opened(
    tmp_path: Path,
) -> None:
    # A directory where the database file should be: SQLite cannot open it.
    store = SQLiteRevocationStore(tmp_path, clock=lambda: START)

    with pytest.raises(StoreUnavailableError):
        await store.is_revoked(jti="jti-1")
    with pytest.raises(StoreUnavailableError):
        await store.revoke_family("family-1", expires_at=START + 900)
    await store.aclose()


async def test_redis_revocations_fail_closed_when_redis_is_unreachable() -> None:
    client = unreachable_redis()
    store = RedisRevocationStore(client, prefix="gatepass-test:", clock=lambda: START)
    try:
        with pytest.raises(StoreUnavailableError):
            await store.is_revoked(jti="jti-1", subject="u", issued_at=START)
        with pytest.raises(StoreUnavailableError):
            await store.revoke_subject("u", before=START, expires_at=START + 900)
        with pytest.raises(StoreUnavailableError):
            await store.revoke_token("jti-1", expires_at=START + 900)
    finally:
        await client.aclose()
