"""What a logged-in session costs in Redis memory, on a private ``redis-server``.

``bench/bench_scale.py`` measures it at 1,000,000 sessions; here fewer sessions share
proportionally fewer index buckets, about 32 each as with the default at that scale.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from gatepass.sessions import SessionRecord
from gatepass.sessions.session import USER_ID_KEY
from gatepass.sessions.stores.redis import RedisSessionStore
from service_helpers import RedisProcess, running_redis

SESSIONS = 8_192
SESSIONS_PER_BUCKET = 32
CONCURRENT_SAVES = 64
AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


@pytest.fixture
def private_redis(redis_url: str) -> Iterator[RedisProcess]:
    # Its own server, so the memory measured is this test's alone; depending on
    # redis_url makes it mandatory in CI and skipped without Redis.
    with running_redis() as server:
        yield server


def _login(user_id: str) -> SessionRecord:
    now = datetime.now(UTC)
    return SessionRecord(
        data={"_gatepass_users": {"default": user_id}, USER_ID_KEY: user_id},
        user_id=user_id,
        created_at=now,
        last_seen=now,
        user_agent=AGENT,
    )


async def _used_memory(client: Redis) -> int:
    info = await client.info("memory")
    return int(info["used_memory"])


async def test_a_logged_in_session_costs_under_400_bytes_of_redis_memory(
    private_redis: RedisProcess,
) -> None:
    client: Redis = Redis.from_url(private_redis.url)
    store = RedisSessionStore(client, index_buckets=SESSIONS // SESSIONS_PER_BUCKET)
    try:
        before = await _used_memory(client)
        for _ in range(SESSIONS // CONCURRENT_SAVES):
            # One session per user, ids shaped as the middleware and new_user_id make them.
            await asyncio.gather(
                *(
                    store.save(
                        secrets.token_urlsafe(32),
                        _login(secrets.token_urlsafe(16)),
                        ttl=timedelta(minutes=30),
                    )
                    for _ in range(CONCURRENT_SAVES)
                )
            )
        # The connections' buffers are part of used_memory: measure over one connection.
        await client.connection_pool.disconnect()
        per_session = (await _used_memory(client) - before) / SESSIONS
        assert per_session < 400
    finally:
        await store.close()
