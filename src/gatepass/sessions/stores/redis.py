"""Redis session store: several server processes share it; entries expire by themselves.

Layout under a key prefix: ``<prefix>s:<id>`` holds the JSON record with a TTL set on
every save; ``<prefix>u:<user>`` is the set of that user's session ids (pruned lazily
as sessions expire), whose TTL is pushed to the longest session's. Needs Redis 7+
(``PEXPIRE ... GT``). Redis errors become ``StoreUnavailableError`` (fail closed).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from gatepass.errors import StoreUnavailableError
from gatepass.sessions.stores.base import SessionInfo, SessionRecord, ttl_seconds

logger = logging.getLogger("gatepass.stores")


@asynccontextmanager
async def _translated() -> AsyncIterator[None]:
    try:
        yield
    except (RedisError, OSError) as error:
        # Fail closed: no session is trusted while Redis is unreachable. The driver's
        # text (host, port) goes to the log, not to the 503 body (OWASP ASVS 4.0.3
        # V7.4.1); the cause stays chained.
        logger.warning("The session store (Redis) failed.", exc_info=error)
        raise StoreUnavailableError("The session store is unavailable.") from error


class RedisSessionStore:
    """Sessions in Redis via ``redis.asyncio``.

    Args:
        client: a ``redis.asyncio.Redis`` client (bytes responses).
        prefix: prepended to every key, so apps and tests can share one Redis.
    """

    def __init__(self, client: Redis, *, prefix: str = "gatepass:session:") -> None:
        self.client = client
        self.prefix = prefix

    @classmethod
    def from_url(
        cls, url: str, *, prefix: str = "gatepass:session:", timeout: float = 2.0
    ) -> RedisSessionStore:
        """Connect to Redis by URL with short timeouts, so an outage answers 503 quickly.

        Args:
            url: e.g. ``redis://127.0.0.1:6379/0``.
            prefix: key prefix.
            timeout: connect and command timeout in seconds.

        Returns:
            The store (the connection opens on first use).
        """
        client: Redis = Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            # One immediate retry reconnects a pooled connection after a Redis restart;
            # no backoff so a real outage is reported at once.
            retry=Retry(NoBackoff(), 1),
        )
        return cls(client, prefix=prefix)

    def _key(self, session_id: str) -> str:
        return f"{self.prefix}s:{session_id}"

    def _user_key(self, user_id: str) -> str:
        return f"{self.prefix}u:{user_id}"

    async def load(self, session_id: str) -> SessionRecord | None:
        """Return the stored record, or ``None`` if unknown or expired.

        Args:
            session_id: the id from the cookie.

        Returns:
            The record or ``None``.

        Raises:
            StoreUnavailableError: Redis cannot be reached.
        """
        async with _translated():
            raw = await self.client.get(self._key(session_id))
        return None if raw is None else SessionRecord.from_json(raw)

    async def save(self, session_id: str, record: SessionRecord, *, ttl: timedelta) -> None:
        """Store a record with a TTL, and index it under its user.

        Args:
            session_id: the id to store under.
            record: the session record.
            ttl: time to live from now.

        Raises:
            StoreUnavailableError: Redis cannot be reached.
        """
        millis = int(ttl_seconds(ttl) * 1000) or 1
        async with _translated(), self.client.pipeline(transaction=True) as pipe:
            pipe.set(self._key(session_id), record.to_json(), px=millis)
            if record.user_id is not None:
                user_key = self._user_key(record.user_id)
                pipe.sadd(user_key, session_id)
                # NX gives a fresh index a TTL; GT only ever lengthens it.
                pipe.pexpire(user_key, millis, nx=True)
                pipe.pexpire(user_key, millis, gt=True)
            await pipe.execute()

    async def delete(self, session_id: str) -> None:
        """Forget one session (its user index entry is pruned lazily).

        Args:
            session_id: the id to delete.

        Raises:
            StoreUnavailableError: Redis cannot be reached.
        """
        async with _translated():
            await self.client.delete(self._key(session_id))

    async def _members(self, user_id: str) -> list[tuple[str, SessionRecord | None]]:
        ids = sorted(
            m.decode() if isinstance(m, bytes) else str(m)
            for m in await self.client.smembers(self._user_key(user_id))
        )
        if not ids:
            return []
        raws: list[Any] = await self.client.mget([self._key(i) for i in ids])
        records = [None if raw is None else SessionRecord.from_json(raw) for raw in raws]
        return [
            (i, r if r is not None and r.user_id == user_id else None)
            for i, r in zip(ids, records, strict=True)
        ]

    async def delete_user_sessions(self, user_id: str, *, except_id: str | None = None) -> int:
        """Forget every session of a user except one.

        Args:
            user_id: whose sessions to end.
            except_id: a session id to keep.

        Returns:
            How many live sessions were deleted.

        Raises:
            StoreUnavailableError: Redis cannot be reached.
        """
        async with _translated():
            members = await self._members(user_id)
            doomed = [i for i, record in members if record is not None and i != except_id]
            stale = [i for i, record in members if i != except_id]
            if stale:
                async with self.client.pipeline(transaction=True) as pipe:
                    if doomed:
                        pipe.delete(*[self._key(i) for i in doomed])
                    pipe.srem(self._user_key(user_id), *stale)
                    await pipe.execute()
        return len(doomed)

    async def list_user_sessions(self, user_id: str) -> list[SessionInfo]:
        """List a user's live sessions, most recently seen first.

        Args:
            user_id: whose sessions to list.

        Returns:
            The sessions with their metadata.

        Raises:
            StoreUnavailableError: Redis cannot be reached.
        """
        async with _translated():
            members = await self._members(user_id)
            gone = [i for i, record in members if record is None]
            if gone:
                await self.client.srem(self._user_key(user_id), *gone)
        infos = [SessionInfo.of(i, record) for i, record in members if record is not None]
        return sorted(infos, key=lambda info: info.last_seen, reverse=True)

    async def clear(self) -> int:
        """Delete every key under this store's prefix (tests, resets).

        Returns:
            How many keys were deleted.

        Raises:
            StoreUnavailableError: Redis cannot be reached.
        """
        deleted = 0
        async with _translated():
            async for key in self.client.scan_iter(match=f"{self.prefix}*", count=500):
                deleted += int(await self.client.delete(key))
        return deleted

    async def close(self) -> None:
        """Close the client's connections."""
        await self.client.aclose()
