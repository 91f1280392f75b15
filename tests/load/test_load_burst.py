"""A burst of concurrent requests on one process: every one served, none refused for lack
of a Redis connection.

The server shares one Redis client per process; a burst larger than its connection
pool must wait for a free connection, not fail: a 503 under ordinary load locks users
out as surely as an outage does (OWASP ASVS 1.14; availability).
"""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from gatepass.server.app import create_app
from gatepass.server.logging import SecurityLog
from gatepass.server.settings import Settings
from gatepass.server.state import ServerState
from server.server_helpers import PASSWORD, bearer, fast_hasher

pytestmark = pytest.mark.redis
EMAIL = "burst@example.com"
BURST = 400


@pytest.fixture
async def app(tmp_path: Path, redis_url: str) -> AsyncIterator[FastAPI]:
    prefix = f"gpburst{secrets.token_hex(6)}:"
    settings = Settings(data_dir=tmp_path / "data", redis_url=redis_url, redis_prefix=prefix)
    application = create_app(settings, hasher=fast_hasher(), security=SecurityLog())
    async with application.router.lifespan_context(application):
        state: ServerState = application.state.gatepass
        password_hash = await state.hasher.hash_async(PASSWORD)
        await state.backends.users.create(email=EMAIL, password_hash=password_hash)
        yield application
    client = Redis.from_url(redis_url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


async def test_a_burst_larger_than_the_redis_pool_is_served_not_refused(app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
        body = {"email": EMAIL, "password": PASSWORD}
        access = (await http.post("/auth/token", json=body)).json()["access_token"]
        answers = await asyncio.gather(
            *(http.get("/api/me", headers=bearer(access)) for _ in range(BURST))
        )
    statuses = Counter(response.status_code for response in answers)
    assert statuses == {200: BURST}, statuses
