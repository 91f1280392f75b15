"""Helpers shared by the token-state tests: a hand-moved clock and the backend bundle."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from pathlib import Path

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from gatepass.tokens.refresh import hash_refresh_token
from gatepass.tokens.stores import RefreshStore, RevocationStore
from gatepass.tokens.stores.base import RefreshRecord

START = 1_700_000_000


def refresh_record(name: str = "t", *, lifetime: int = 60) -> RefreshRecord:
    """A minimal unspent refresh record issued at ``START``."""
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


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Backend:
    """One backend under test, with what a test needs to make a second instance."""

    name: str
    clock: FakeClock
    refresh: RefreshStore
    revocations: RevocationStore
    path: Path
    prefix: str
    redis_url: str | None = None
    redis: Redis | None = None

    async def ttl(self, key: str) -> int:
        """The TTL Redis holds for ``key``."""
        assert self.redis is not None
        return int(await self.redis.ttl(key))

    async def redis_values(self) -> list[object]:
        """Every key and value under this test's prefix (hash values flattened)."""
        assert self.redis is not None
        found: list[object] = []
        async for key in self.redis.scan_iter(match=f"{self.prefix}*"):
            found.append(key)
            if await self.redis.type(key) == b"hash":
                for name, value in (await self.redis.hgetall(key)).items():
                    found.extend([name, value])
            elif await self.redis.type(key) == b"zset":
                found.extend(await self.redis.zrange(key, 0, -1))
            else:
                found.append(await self.redis.get(key))
        return found


def free_port() -> int:
    """A local TCP port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def unreachable_redis() -> Redis:
    """A client for a port nothing listens on, failing at once instead of retrying."""
    return Redis(
        host="127.0.0.1", port=free_port(), socket_connect_timeout=1, retry=Retry(NoBackoff(), 0)
    )


class OwnRedis:
    """A private ``redis-server`` this test starts and kills, to play an outage."""

    def __init__(self) -> None:
        self.port = free_port()
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        """Start the server on ``self.port`` and wait until it answers."""
        self._process = await asyncio.create_subprocess_exec(
            "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        probe = Redis(host="127.0.0.1", port=self.port, retry=Retry(NoBackoff(), 0))
        try:
            for _ in range(100):
                try:
                    await probe.ping()
                    return
                except (RedisError, OSError):
                    await asyncio.sleep(0.02)
            raise RuntimeError(f"redis-server did not start on port {self.port}")
        finally:
            await probe.aclose()

    async def stop(self) -> None:
        """Kill the server (only the process this object started)."""
        if self._process is not None and self._process.returncode is None:
            self._process.kill()
            await self._process.wait()
        self._process = None

    def client(self) -> Redis:
        """A client for this server that fails at once instead of retrying."""
        return Redis(
            host="127.0.0.1", port=self.port, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0)
        )
