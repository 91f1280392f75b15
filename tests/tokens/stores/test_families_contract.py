"""A subject's refresh families, listed and ended: one contract, every backend."""

from __future__ import annotations

import pytest

from gatepass.errors import RevokedTokenError, StoreUnavailableError
from gatepass.tokens.refresh import hash_refresh_token
from gatepass.tokens.stores import RedisRefreshStore, RefreshFamily, RefreshRecord
from gatepass.tokens.stores.base import MAX_DEVICE_LENGTH

from .helpers import START, Backend, unreachable_redis
from .test_service import service_for


def record(
    name: str,
    *,
    family: str = "family-1",
    subject: str = "user-1",
    issued_at: int = START,
    lifetime: int = 3600,
    family_issued_at: int | None = None,
) -> RefreshRecord:
    return RefreshRecord(
        token_hash=hash_refresh_token(name),
        family_id=family,
        subject=subject,
        client_id="web",
        scope=None,
        issued_at=issued_at,
        expires_at=issued_at + lifetime,
        family_issued_at=issued_at if family_issued_at is None else family_issued_at,
    )


async def test_a_new_family_is_listed_with_its_device_and_address(backend: Backend) -> None:
    await backend.refresh.add(record("t1"), device="curl", address="203.0.113.9")

    assert await backend.refresh.families("user-1") == [
        RefreshFamily(
            family_id="family-1",
            subject="user-1",
            client_id="web",
            issued_at=START,
            last_used=START,
            expires_at=START + 3600,
            device="curl",
            address="203.0.113.9",
        )
    ]


async def test_rotation_moves_last_used_and_keeps_the_login_device(backend: Backend) -> None:
    await backend.refresh.add(record("t1"), device="Firefox on Linux", address="192.0.2.1")
    await backend.refresh.add(record("t2", issued_at=START + 100, family_issued_at=START))

    [family] = await backend.refresh.families("user-1")

    assert (family.issued_at, family.last_used, family.expires_at) == (
        START,
        START + 100,
        START + 3700,
    )
    assert (family.device, family.address) == ("Firefox on Linux", "192.0.2.1")


async def test_families_of_other_subjects_are_not_listed(backend: Backend) -> None:
    await backend.refresh.add(record("mine"))
    await backend.refresh.add(record("theirs", family="family-2", subject="user-2"))

    assert [f.family_id for f in await backend.refresh.families("user-1")] == ["family-1"]
    assert await backend.refresh.families("nobody") == []


async def test_families_are_listed_newest_login_first(backend: Backend) -> None:
    await backend.refresh.add(record("old", family="old"))
    await backend.refresh.add(record("new", family="new", issued_at=START + 5))

    assert [f.family_id for f in await backend.refresh.families("user-1")] == ["new", "old"]


async def test_a_family_whose_latest_token_expired_is_no_longer_listed(backend: Backend) -> None:
    await backend.refresh.add(record("short", family="short", lifetime=60))
    await backend.refresh.add(record("long", family="long", lifetime=600))
    backend.clock.advance(60)

    assert [f.family_id for f in await backend.refresh.families("user-1")] == ["long"]


async def test_forget_family_drops_only_that_family_of_that_subject(backend: Backend) -> None:
    await backend.refresh.add(record("a", family="a"))
    await backend.refresh.add(record("b", family="b"))

    assert not await backend.refresh.forget_family("user-2", "a")
    assert await backend.refresh.forget_family("user-1", "a")
    assert not await backend.refresh.forget_family("user-1", "a")
    assert [f.family_id for f in await backend.refresh.families("user-1")] == ["b"]


async def test_device_and_address_are_kept_short(backend: Backend) -> None:
    await backend.refresh.add(record("t"), device="x" * 10_000, address="y" * 10_000)

    [family] = await backend.refresh.families("user-1")

    assert family.device == "x" * MAX_DEVICE_LENGTH
    assert family.address == "y" * MAX_DEVICE_LENGTH


async def test_redis_family_entries_expire_with_the_family(redis_backend: Backend) -> None:
    store = redis_backend.refresh
    await store.add(record("t", lifetime=600), device="curl")

    family_ttl = await redis_backend.ttl(f"{redis_backend.prefix}rf:family-1")
    index_ttl = await redis_backend.ttl(f"{redis_backend.prefix}rfu:user-1")

    assert 0 < family_ttl <= 600
    assert 0 < index_ttl <= 600


async def test_service_lists_logins_and_ends_one_of_them(backend: Backend) -> None:
    service = service_for(backend)
    kept = await service.issue("user-1", device="curl", address="127.0.0.1")
    ended = await service.issue("user-1", device="python-httpx", address="127.0.0.1")
    ended_id = str(ended.claims["sid"])

    assert {f.family_id for f in await service.families("user-1")} == {
        kept.claims["sid"],
        ended_id,
    }
    assert not await service.end_family("user-2", ended_id)
    assert await service.end_family("user-1", ended_id)

    assert [f.family_id for f in await service.families("user-1")] == [kept.claims["sid"]]
    with pytest.raises(RevokedTokenError):
        await service.refresh(ended.refresh_token)
    with pytest.raises(RevokedTokenError):
        await service.verify(ended.access_token)
    await service.refresh(kept.refresh_token)


async def test_service_ends_every_login_of_a_user(backend: Backend) -> None:
    service = service_for(backend)
    pairs = [await service.issue("user-1") for _ in range(3)]
    other = await service.issue("user-2")

    assert await service.end_all_families("user-1") == 3

    assert await service.families("user-1") == []
    for pair in pairs:
        with pytest.raises(RevokedTokenError):
            await service.refresh(pair.refresh_token)
        with pytest.raises(RevokedTokenError):
            await service.verify(pair.access_token)
    await service.refresh(other.refresh_token)


async def test_a_family_revoked_by_reuse_is_no_longer_listed(backend: Backend) -> None:
    service = service_for(backend)
    pair = await service.issue("user-1")
    await service.refresh(pair.refresh_token)
    with pytest.raises(RevokedTokenError):
        await service.refresh(pair.refresh_token)

    assert await service.families("user-1") == []


async def test_redis_keeps_a_family_small(redis_backend: Backend) -> None:
    assert redis_backend.redis is not None
    agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140"
    await redis_backend.refresh.add(record("t"), device=agent, address="2001:db8::1")

    family = await redis_backend.redis.memory_usage(f"{redis_backend.prefix}rf:family-1")
    index = await redis_backend.redis.memory_usage(f"{redis_backend.prefix}rfu:user-1")

    assert 0 < (family or 0) <= 300
    assert 0 < (index or 0) <= 160


async def test_listing_families_fails_closed_when_redis_is_down() -> None:
    store = RedisRefreshStore(unreachable_redis())

    with pytest.raises(StoreUnavailableError):
        await store.families("user-1")
    with pytest.raises(StoreUnavailableError):
        await store.forget_family("user-1", "family-1")
