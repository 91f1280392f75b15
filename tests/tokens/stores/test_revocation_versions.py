"""Revocation versions of the shared stores: "not revoked" kept in memory, never late.

Two store objects on one backing store stand for two processes: what one revokes moves
the other's version, so a verifier behind the other asks again on its next request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from redis.asyncio import Redis

from gatepass._versions import RedisVersions, SQLiteDataVersion
from gatepass.errors import RevokedTokenError
from gatepass.tokens.cache import VerifiedTokenCache
from gatepass.tokens.keys import Key
from gatepass.tokens.service import TokenService
from gatepass.tokens.stores import (
    MemoryRefreshStore,
    RedisRevocationStore,
    RevocationStore,
    SQLiteRevocationStore,
)
from service_helpers import running_redis

from .helpers import FakeClock

KEY = Key.generate("ES256")
LISTEN_TIMEOUT = 5.0  # seconds for a listener to connect on loopback, generously


async def until(version: Callable[[], int], holds: Callable[[int], bool], what: str) -> int:
    """The version once ``holds`` says yes, failing after ``LISTEN_TIMEOUT`` seconds."""
    deadline = time.monotonic() + LISTEN_TIMEOUT
    while not holds(value := version()):
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting: {what}")
        await asyncio.sleep(0.001)
    return value


async def trusted(version: Callable[[], int]) -> int:
    """The version once it can be trusted (the Redis listener is connected)."""
    return await until(version, lambda value: value >= 0, "a trusted version")


async def moved(version: Callable[[], int], before: int) -> int:
    """The version once it differs from ``before`` (an invalidation is on its way)."""
    return await until(version, lambda value: value != before, "the version to move")


Pair = tuple[RevocationStore, RevocationStore, Callable[[], int]]


@pytest.fixture(params=["sqlite", "redis"])
async def two_processes(
    request: pytest.FixtureRequest, tmp_path: Path, redis_url: str
) -> AsyncIterator[Pair]:
    """A writer and a reader store on one backing store, and the reader's version."""
    clock = FakeClock()
    if request.param == "sqlite":
        path = tmp_path / "revocations.db"
        writer, reader = (SQLiteRevocationStore(path, clock=clock) for _ in range(2))
        await writer.is_revoked(jti="create-the-file")
        try:
            yield writer, reader, reader.version
        finally:
            await writer.aclose()
            await reader.aclose()
        return
    prefix = f"gatepass-test:{tmp_path.name}:"
    clients = [Redis.from_url(redis_url) for _ in range(2)]
    versions = RedisVersions(clients[1], prefix=prefix)
    writer_store = RedisRevocationStore(clients[0], prefix=prefix, clock=clock)
    reader_store = RedisRevocationStore(clients[1], prefix=prefix, clock=clock, versions=versions)
    try:
        yield writer_store, reader_store, reader_store.version
    finally:
        await versions.aclose()
        async for key in clients[0].scan_iter(match=f"{prefix}*"):
            await clients[0].delete(key)
        for client in clients:
            await client.aclose()


async def test_a_revocation_by_another_process_moves_the_version(two_processes: Pair) -> None:
    writer, _reader, version = two_processes
    first = await trusted(version)
    assert version() == first  # nothing written: the answer may be kept

    await writer.revoke_token("t1", expires_at=1_700_000_100)
    second = await moved(version, first)
    await writer.revoke_family("f1", expires_at=1_700_000_100)
    third = await moved(version, second)
    await writer.revoke_subject("u1", before=1_700_000_000, expires_at=1_700_000_100)
    await moved(version, third)


async def test_a_cached_token_is_refused_right_after_another_process_revokes_it(
    two_processes: Pair,
) -> None:
    writer, reader, version = two_processes
    clock = FakeClock()

    def service(store: RevocationStore) -> TokenService:
        return TokenService(
            keys=KEY,
            issuer="https://auth.example",
            audience="api",
            refresh_store=MemoryRefreshStore(clock=clock),
            revocation_store=store,
            cache=VerifiedTokenCache(),
            clock=clock,
        )

    here, there = service(writer), service(reader)
    await trusted(version)
    pair = await here.issue("user-1")
    for _ in range(3):  # cached, and found not revoked at the current version
        await there.verify(pair.access_token)

    before = version()
    await here.logout(pair.access_token)
    await moved(version, before)
    with pytest.raises(RevokedTokenError):
        await there.verify(pair.access_token)


def test_sqlite_data_version_is_untrusted_while_the_file_is_missing(tmp_path: Path) -> None:
    version = SQLiteDataVersion(tmp_path / "nowhere.db")
    first, second = version(), version()
    assert first < 0
    assert second < 0
    assert first != second
    assert not (tmp_path / "nowhere.db").exists()  # never created by the reader


async def test_redis_versions_are_untrusted_until_listening_and_after_losing_redis(
    redis_url: str, tmp_path: Path
) -> None:
    client = Redis.from_url(redis_url)
    versions = RedisVersions(client, prefix=f"gatepass-test:{tmp_path.name}:")
    try:
        assert versions.version("users") < 0  # first call: the listener starts
        trusted_value = await trusted(lambda: versions.version("users"))
        assert versions.version("users") == trusted_value

        # Its listener connection killed: changes could go unheard until it is back.
        assert versions.listener_id is not None
        await client.client_kill_filter(_id=str(versions.listener_id))
        await moved(lambda: versions.version("users"), trusted_value)
        again = await trusted(lambda: versions.version("users"))
        assert again != trusted_value
    finally:
        await versions.aclose()
        await client.aclose()


async def test_redis_versions_are_untrusted_as_soon_as_redis_is_gone(tmp_path: Path) -> None:
    # Fail closed at once: the kernel reports the closed connection before the
    # listener's task has run, and version() looks at the socket itself.
    with running_redis(tmp_path) as own:
        client = Redis.from_url(own.url)
        versions = RedisVersions(client, prefix="gatepass-test:")
        try:
            await trusted(lambda: versions.version("revocations"))
            own.kill()
            assert versions.version("revocations") < 0  # no await since the kill
        finally:
            await versions.aclose()
            await client.aclose()
