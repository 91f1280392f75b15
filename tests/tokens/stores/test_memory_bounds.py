"""The in-process stores forget what has expired, so memory stays bounded."""

from __future__ import annotations

from gatepass.tokens.refresh import hash_refresh_token
from gatepass.tokens.stores import MemoryRefreshStore, MemoryRevocationStore, RefreshRecord

from .helpers import START, FakeClock


def record(name: str, lifetime: int) -> RefreshRecord:
    return RefreshRecord(
        token_hash=hash_refresh_token(name),
        family_id="f",
        subject="u",
        client_id=None,
        scope=None,
        issued_at=START,
        expires_at=START + lifetime,
        family_issued_at=START,
    )


async def test_memory_revocation_store_drops_expired_entries() -> None:
    clock = FakeClock()
    store = MemoryRevocationStore(clock=clock)
    for i in range(1000):
        await store.revoke_token(f"jti-{i}", expires_at=START + 900)
    await store.revoke_subject("user-1", before=START, expires_at=START + 2000)
    assert len(store) == 1001

    clock.advance(900)

    assert len(store) == 1


async def test_memory_refresh_store_drops_expired_records_spent_or_not() -> None:
    clock = FakeClock()
    store = MemoryRefreshStore(clock=clock)
    for i in range(100):
        await store.add(record(f"t{i}", 100))
    await store.spend(hash_refresh_token("t0"))
    await store.add(record("long", 1000))

    clock.advance(100)

    assert len(store) == 1


async def test_memory_subject_cutoff_keeps_the_longer_expiry_of_the_later_cutoff() -> None:
    clock = FakeClock()
    store = MemoryRevocationStore(clock=clock)
    await store.revoke_subject("u", before=START + 100, expires_at=START + 1000)
    await store.revoke_subject("u", before=START, expires_at=START + 10)

    clock.advance(500)

    assert await store.is_revoked(subject="u", issued_at=START + 50)
