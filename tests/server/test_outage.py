"""Fail closed: with Redis down nobody is let in (503), and the server recovers by itself."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from gatepass.server.app import create_app
from gatepass.server.settings import Settings
from server.server_helpers import PASSWORD, bearer, register, token_pair
from service_helpers import RedisProcess, running_redis

pytestmark = pytest.mark.redis


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisProcess]:
    """A Redis of this test only (never the shared one), killed afterwards."""
    with running_redis(tmp_path) as server:
        yield server


@pytest.fixture
async def redis_app(own_redis: RedisProcess, tmp_path: Path) -> AsyncIterator[FastAPI]:
    """The server on SQLite users and the test's own Redis for everything else."""
    settings = Settings(
        data_dir=tmp_path / "data",
        redis_url=own_redis.url,
        argon2_time_cost=1,
        argon2_memory_kib=8,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


async def _health(app: FastAPI) -> httpx.Response:
    # A monitoring probe carries no session cookie.
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as probe:
        return await probe.get("/readyz")


async def test_redis_outage_refuses_with_503_and_recovers(
    own_redis: RedisProcess, redis_app: FastAPI
) -> None:
    transport = httpx.ASGITransport(app=redis_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        await _outage_and_recovery(own_redis, redis_app, client)


async def _outage_and_recovery(
    own_redis: RedisProcess, app: FastAPI, redis_client: httpx.AsyncClient
) -> None:
    await register(redis_client)
    pair = await token_pair(redis_client)
    assert (await redis_client.get("/api/me", headers=bearer(pair["access_token"]))).is_success

    own_redis.kill()
    health = await _health(app)
    assert health.status_code == 503
    assert health.json()["checks"]["sessions"] == "unavailable"
    me = await redis_client.get("/api/me", headers=bearer(pair["access_token"]))
    assert me.status_code == 503
    assert me.json()["error"] == "store_unavailable"
    login = await redis_client.post(
        "/auth/token", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert login.status_code == 503
    # The browser's session cannot be read: refused, not treated as logged out.
    page = await redis_client.get("/dashboard", headers={"accept": "text/html"})
    assert page.status_code == 503
    assert (await redis_client.get("/readyz")).status_code == 503

    own_redis.start()  # an empty Redis: sessions and tokens are gone, logins work again
    assert (await _health(app)).status_code == 200
    again = await redis_client.post(
        "/auth/token", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert again.status_code == 200
