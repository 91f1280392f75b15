"""Redis session store: several server processes share it; entries expire by themselves.

Layout under a key prefix (Redis 7+ for ``PEXPIRE ... GT``):

- ``<prefix>s:<id>`` (``record_prefix + id``): the record, with a TTL set on every save;
  ``load`` is one GET of it.
- ``<prefix>i:<n>``: one of ``index_buckets`` sorted sets; a user's sessions are in the
  bucket their user id hashes to, as session ids scored by their expiry (epoch seconds).
  A save adds its session, drops the bucket's expired entries and pushes the bucket's TTL
  to its longest session's: no sweeper, and a bucket holds only sessions live or ended
  lately. Listing or ending a user's sessions reads the bucket and its records and keeps
  that user's. Redis errors become ``StoreUnavailableError`` (fail closed).

Why: memory is what a Redis session store costs at scale. On Redis 7.0, by
``bench/bench_scale.py`` (1,000,000 sessions, one per user), the earlier layout took 642 B
a session, this one 316 B. A key with a TTL costs ~100 B before its name and value (dict
and expires entries, object header, table slots): a key per user for the index took
~210 B a session, a bucket shared by ~30 users (a listpack sorted set while under
``zset-max-listpack-entries``, 128 by default) ~60 B. Per-field TTLs (``HEXPIRE``) need
Redis 7.4, hence expiry as the score. The record is its JSON array deflated (RFC 1951)
with a preset dictionary (zlib's ``zdict``) of the User-Agents of current browsers and
the text the app's layers write into sessions (``session_text``): a login's record
(its user id three times, a 111-character User-Agent) takes ~70 bytes instead of 233,
and ``load`` needs no second lookup.

A value not in this format (an earlier layout's, damaged, foreign) loads as no session:
an earlier layout's session is in no bucket, and a session that "log out everywhere"
cannot find must not stay usable (OWASP ASVS 4.0.3 V3.3.1). The earlier per-user index
keys (``<prefix>u:<user>``) are no longer read and expire by their TTLs.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from gatepass.errors import StoreUnavailableError
from gatepass.sessions.stores.base import (
    Clock,
    SessionInfo,
    SessionRecord,
    system_clock,
    ttl_seconds,
)
from gatepass.sessions.stores.redis_record import RecordLayout, decode_record, encode_record

__all__ = ["RecordLayout", "RedisSessionStore", "decode_record", "encode_record"]

logger = logging.getLogger("gatepass.stores")

_INDEX_BUCKETS = 32_768
_MGET_BATCH = 256  # records read per command when a bucket is listed
# Index entries stay this long past their session's expiry, so an app server whose clock
# runs ahead does not drop a session that Redis still holds.
_EXPIRY_GRACE_SECONDS = 60


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


class RedisSessionStore:
    """Sessions in Redis via ``redis.asyncio``.

    Args:
        client: a ``redis.asyncio.Redis`` client (bytes responses).
        prefix: prepended to every key, so apps and tests can share one Redis.
        index_buckets: how many sorted sets index sessions by user. The default keeps
            each small (listpack-encoded, ~30 sessions at 1,000,000) up to a few million
            sessions; more buckets cost a key each, fewer make every list and logout read
            more records. Every process must use the same number for as long as sessions
            live: a session indexed in another bucket is missed by
            :meth:`delete_user_sessions`.
        clock: the time the index scores expiry by (Redis expires records on its own).
        session_text: what the app's layers write into sessions, for the records'
            compression dictionary (:class:`RecordLayout`); gatepass's own is
            ``gatepass.authenticator.SESSION_TEXT``. Every process sharing the prefix
            must give the same: a record written with other text loads as no session.

    Raises:
        ValueError: ``index_buckets`` is below 1, or ``session_text`` is too long.
    """

    def __init__(
        self,
        client: Redis,
        *,
        prefix: str = "gatepass:session:",
        index_buckets: int = _INDEX_BUCKETS,
        clock: Clock = system_clock,
        session_text: Iterable[str] = (),
    ) -> None:
        if index_buckets < 1:
            raise ValueError("index_buckets must be 1 or more")
        self.layout = RecordLayout(session_text)
        self.client = client
        self.prefix = prefix
        self.record_prefix = f"{prefix}s:"
        self.index_buckets = index_buckets
        self._index_prefix = f"{prefix}i:"
        self._clock = clock

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str = "gatepass:session:",
        timeout: float = 2.0,
        index_buckets: int = _INDEX_BUCKETS,
        session_text: Iterable[str] = (),
    ) -> RedisSessionStore:
        """Connect to Redis by URL with short timeouts, so an outage answers 503 quickly.

        Args:
            url: e.g. ``redis://127.0.0.1:6379/0``.
            prefix: key prefix.
            timeout: connect and command timeout in seconds.
            index_buckets: see the class.
            session_text: see the class.

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
        return cls(client, prefix=prefix, index_buckets=index_buckets, session_text=session_text)

    def _key(self, session_id: str) -> str:
        return self.record_prefix + session_id

    def index_key(self, user_id: str) -> str:
        """The key of the sorted set that indexes this user's sessions (and others').

        Args:
            user_id: the user.

        Returns:
            The key.
        """
        digest = hashlib.blake2b(user_id.encode(), digest_size=8).digest()
        return f"{self._index_prefix}{int.from_bytes(digest) % self.index_buckets:x}"

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
            raw = await self.client.get(self.record_prefix + session_id)
        except (RedisError, OSError) as error:
            raise _unavailable(error) from error
        return None if raw is None else self.layout.decode(raw)

    async def save(
        self, session_id: str, record: SessionRecord, *, ttl: timedelta, must_exist: bool = False
    ) -> bool:
        """Store a record with a TTL, and index it under its user.

        Args:
            session_id: the id to store under.
            record: the session record.
            ttl: time to live from now.
            must_exist: only replace a live record (``SET ... XX``, atomic in Redis); a
                refused save may leave an index entry without a record, which listing
                and "log out everywhere" skip.

        Returns:
            Whether the record was stored.

        Raises:
            StoreUnavailableError: Redis cannot be reached.
        """
        seconds = ttl_seconds(ttl)
        millis = int(seconds * 1000) or 1
        async with _translated(), self.client.pipeline(transaction=True) as pipe:
            pipe.set(self._key(session_id), self.layout.encode(record), px=millis, xx=must_exist)
            if record.user_id is not None:
                index = self.index_key(record.user_id)
                now = self._clock().timestamp()
                pipe.zadd(index, {session_id: math.ceil(now + seconds)})
                pipe.zremrangebyscore(index, "-inf", math.floor(now) - _EXPIRY_GRACE_SECONDS)
                # NX gives a fresh bucket a TTL; GT only ever lengthens it.
                pipe.pexpire(index, millis, nx=True)
                pipe.pexpire(index, millis, gt=True)
            results = await pipe.execute()
        return bool(results[0])

    async def delete(self, session_id: str) -> None:
        """Forget one session and its index entry.

        Args:
            session_id: the id to delete.

        Raises:
            StoreUnavailableError: Redis cannot be reached.
        """
        async with _translated():
            # GETDEL: the record goes at once; its owner, read from it, names the bucket
            # entry to drop, so logouts do not pile entries up in a shared bucket.
            raw = await self.client.getdel(self._key(session_id))
            record = None if raw is None else self.layout.decode(raw)
            if record is not None and record.user_id is not None:
                await self.client.zrem(self.index_key(record.user_id), session_id)

    async def _sessions_of(self, user_id: str) -> tuple[list[tuple[str, SessionRecord]], list[str]]:
        """The user's stored sessions, and the ids in its bucket whose record is gone."""
        members: list[Any] = await self.client.zrange(self.index_key(user_id), 0, -1)
        ids = [m.decode() if isinstance(m, bytes) else str(m) for m in members]
        if not ids:
            return [], []
        raws: list[Any] = []
        for start in range(0, len(ids), _MGET_BATCH):
            # In batches: one oversized bucket never holds Redis up in a single command.
            batch = ids[start : start + _MGET_BATCH]
            raws += await self.client.mget([self._key(i) for i in batch])
        owned: list[tuple[str, SessionRecord]] = []
        gone: list[str] = []
        for session_id, raw in zip(ids, raws, strict=True):
            record = None if raw is None else self.layout.decode(raw)
            if record is None:
                gone.append(session_id)
            elif record.user_id == user_id:
                owned.append((session_id, record))
        return owned, gone

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
            owned, gone = await self._sessions_of(user_id)
            doomed = [session_id for session_id, _ in owned if session_id != except_id]
            if doomed or gone:
                async with self.client.pipeline(transaction=True) as pipe:
                    if doomed:
                        pipe.delete(*[self._key(i) for i in doomed])
                    pipe.zrem(self.index_key(user_id), *doomed, *gone)
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
            owned, gone = await self._sessions_of(user_id)
            if gone:
                await self.client.zrem(self.index_key(user_id), *gone)
        infos = [SessionInfo.of(session_id, record) for session_id, record in owned]
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
