"""A Redis outage: token state fails closed, then recovers by itself."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from gatepass.errors import StoreUnavailableError
from gatepass.tokens.keys import Key
from gatepass.tokens.service import TokenService
from gatepass.tokens.stores import RedisRefreshStore, RedisRevocationStore

from .helpers import FakeClock, OwnRedis


@pytest.fixture
async def own_redis() -> AsyncIterator[OwnRedis]:
    server = OwnRedis()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def test_tokens_fail_closed_during_an_outage_and_recover_after(
    own_redis: OwnRedis,
) -> None:
    clock = FakeClock()
    client = own_redis.client()
    service = TokenService(
        keys=Key.generate("ES256"),
        issuer="https://auth.example",
        audience="api",
        refresh_store=RedisRefreshStore(client, clock=clock),
        revocation_store=RedisRevocationStore(client, clock=clock),
        clock=clock,
    )
    try:
        pair = await service.issue("user-1")
        await own_redis.stop()

        with pytest.raises(StoreUnavailableError):
            await service.verify(pair.access_token)
        with pytest.raises(StoreUnavailableError):
            await service.refresh(pair.refresh_token)
        with pytest.raises(StoreUnavailableError):
            await service.issue("user-1")

        await own_redis.start()
        fresh = await service.issue("user-1")
        assert (await service.verify(fresh.access_token))["sub"] == "user-1"
        assert (await service.refresh(fresh.refresh_token)).claims["sub"] == "user-1"
    finally:
        await client.aclose()
