"""Redis session store: several server processes share it; entries expire by themselves.

Layout under a key prefix: ``<prefix>s:<id>`` holds the record with a TTL set on every
save; ``<prefix>u:<user>`` is a hash whose fields are that user's session ids (pruned
lazily as sessions expire), whose TTL is pushed to the longest session's. Needs Redis
7+ (``PEXPIRE ... GT``). Redis errors become ``StoreUnavailableError`` (fail closed).

Memory is what a Redis session store costs at scale, so the record is a compact JSON
array (field names not repeated, integer milliseconds, the user id not stored twice)
and the index is a hash with empty values, which Redis keeps listpack-encoded while it
is small (a set of strings is a hash table until Redis 7.2). A stored value that does
not decode as a record loads as no session.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError, ResponseError

from gatepass.errors import StoreUnavailableError
from gatepass.sessions.session import USER_ID_KEY
from gatepass.sessions.stores.base import SessionInfo, SessionRecord, ttl_seconds

logger = logging.getLogger("gatepass.stores")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_OWNER_IN_DATA = 0  # the record's user id is the one the session data holds


def encode_record(record: SessionRecord) -> bytes:
    """Serialise a record as the compact array this store keeps.

    ``[data, user, created_ms, seen_after_ms, remember, user_agent]``; ``user`` is
    ``0`` when the session data already names the same user, which is how the
    session middleware stores every logged-in session.

    Args:
        record: the record.

    Returns:
        JSON bytes.
    """
    created = (record.created_at - _EPOCH) // _MS
    owner = record.user_id
    user: str | int | None = (
        _OWNER_IN_DATA if owner is not None and record.data.get(USER_ID_KEY) == owner else owner
    )
    return orjson.dumps(
        [
            record.data,
            user,
            created,
            (record.last_seen - _EPOCH) // _MS - created,
            int(record.remember),
            record.user_agent,
        ]
    )


def decode_record(raw: bytes | str) -> SessionRecord | None:
    """Rebuild a record written by :func:`encode_record`.

    Args:
        raw: the stored bytes.

    Returns:
        The record, or ``None`` when the value is not one (a damaged or foreign value
        is no session, never an error page).
    """
    try:
        data, user, created, seen_after, remember, agent = orjson.loads(raw)
        if user == _OWNER_IN_DATA and not isinstance(user, bool):
            user = data[USER_ID_KEY]
        if not (
            isinstance(data, dict)
            and (user is None or isinstance(user, str))
            and type(created) is int
            and type(seen_after) is int
            and isinstance(agent, str)
        ):
            return None
        created_at = _EPOCH + created * _MS
        return SessionRecord(
            data=data,
            user_id=user,
            created_at=created_at,
            last_seen=created_at + seen_after * _MS,
            remember=remember == 1,
            user_agent=agent,
        )
    except (ValueError, TypeError, KeyError, OverflowError):
        return None


@asynccontextmanager
async def _translated() -> AsyncIterator[None]:
    try:
        yield
    except (RedisError, OSError) as error:
        raise _unavailable(error) from error


def _unavailable(error: BaseException) -> StoreUnavailableError:
    # Fail closed: no session is trusted while Redis is unreachable. The driver's text
    # (host, port) goes to the log, not to the 503 body (OWASP ASVS 4.0.3 V7.4.1); the
    # caller chains the cause.
    logger.warning("The session store (Redis) failed.", exc_info=error)
    return StoreUnavailableError("The session store is unavailable.")


def _wrong_type(error: ResponseError) -> bool:
    # A pipeline prefixes the server's text with the failed command, so search for it.
    return "WRONGTYPE Operation against a key holding the wrong kind of value" in str(error)


class RedisSessionStore:
    """Sessions in Redis via ``redis.asyncio``.

    Args:
        client: a ``redis.asyncio.Redis`` client (bytes responses).
        prefix: prepended to every key, so apps and tests can share one Redis.
    """

    def __init__(self, client: Redis, *, prefix: str = "gatepass:session:") -> None:
        self.client = client
        self.prefix = prefix
        self._record_prefix = f"{prefix}s:"

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
        return self._record_prefix + session_id

    def _user_key(self, user_id: str) -> str:
        return f"{self.prefix}u:{user_id}"

    async def load(self, session_id: str) -> SessionRecord | None:
        """Return the stored record, or ``None`` if unknown, expired or unreadable.

        Args:
            session_id: the id from the cookie.

        Returns:
            The record or ``None``.

        Raises:
            StoreUnavailableError: Redis cannot be reached.
        """
        # Every request with a session cookie comes here: one GET, and a plain
        # try/except rather than the context manager the rarer calls use.
        try:
            raw = await self.client.get(self._record_prefix + session_id)
        except (RedisError, OSError) as error:
            raise _unavailable(error) from error
        return None if raw is None else decode_record(raw)

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
        async with _translated():
            try:
                await self._save(session_id, record, millis)
            except ResponseError as error:
                if record.user_id is None or not _wrong_type(error):
                    raise
                # An index left by an earlier layout (a set): its sessions' records no
                # longer load, so it indexes nothing; replace it rather than fail logins.
                await self.client.delete(self._user_key(record.user_id))
                await self._save(session_id, record, millis)

    async def _save(self, session_id: str, record: SessionRecord, millis: int) -> None:
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.set(self._key(session_id), encode_record(record), px=millis)
            if record.user_id is not None:
                user_key = self._user_key(record.user_id)
                pipe.hset(user_key, session_id, b"")
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
        try:
            fields = await self.client.hkeys(self._user_key(user_id))
        except ResponseError as error:
            if not _wrong_type(error):
                raise
            # An earlier layout's index: nothing it names loads any more (see save).
            await self.client.delete(self._user_key(user_id))
            return []
        ids = sorted(m.decode() if isinstance(m, bytes) else str(m) for m in fields)
        if not ids:
            return []
        raws: list[Any] = await self.client.mget([self._key(i) for i in ids])
        records = [None if raw is None else decode_record(raw) for raw in raws]
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
                    pipe.hdel(self._user_key(user_id), *stale)
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
                await self.client.hdel(self._user_key(user_id), *gone)
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
