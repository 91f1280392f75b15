"""A local cache in front of the Redis session store, kept coherent by Redis itself.

:class:`CachedRedisSessionStore` answers repeated loads from process memory. Redis
server-assisted client-side caching (Redis docs, "Client-side caching in Redis",
broadcasting mode) names every record key written, deleted or expired to a dedicated
listener connection. The cache answers only while that listener is connected; without
it every load goes to Redis, so an outage still fails closed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import timedelta
from typing import Any

import orjson

from gatepass._redis_listener import InvalidationListener
from gatepass.errors import ConfigurationError, DurationError
from gatepass.sessions.stores.base import SessionInfo, SessionRecord
from gatepass.sessions.stores.redis import RedisSessionStore

logger = logging.getLogger("gatepass.stores")

_CLOSE_TIMEOUT = 2.0  # seconds close() waits for the listener to stop
# Every SessionRecord field but ``data`` (its first) holds an immutable value, shared
# by copies: a copy is SessionRecord(data, *shared).
_SHARED_FIELDS = tuple(f.name for f in fields(SessionRecord) if f.name != "data")
_USER_ID = _SHARED_FIELDS.index("user_id")


@dataclass(frozen=True, slots=True)
class SessionCacheStats:
    """What the cache has done since it was created, for operators and tests.

    Args:
        active: whether loads may be answered from the cache right now.
        entries: records held.
        hits: loads answered from the cache.
        misses: loads that read Redis while the cache was active.
        bypassed: loads that read Redis because the cache was not active.
        evictions: entries dropped for the size bound or ``max_age``.
        invalidations: key invalidations received from Redis.
        flushes: times the whole cache was emptied (flush, lost listener).
        listener_id: the listener connection's Redis client id, when connected.
    """

    active: bool
    entries: int
    hits: int
    misses: int
    bypassed: int
    evictions: int
    invalidations: int
    flushes: int
    listener_id: int | None


@dataclass(frozen=True, slots=True)
class _Entry:
    data: bytes  # the record's data as JSON: each hit decodes a fresh copy
    shared: tuple[Any, ...]  # the other fields' values, in field order
    stored_at: float


@dataclass(slots=True, eq=False)  # compared by identity: list.remove takes this one
class _Fill:  # a load from Redis in flight; stale once its key changed meanwhile
    generation: int
    stale: bool = False


def _snapshot(record: SessionRecord, stored_at: float) -> _Entry | None:
    try:
        data = orjson.dumps(record.data)
    except TypeError:
        return None
    if orjson.loads(data) != record.data:
        return None  # not plain JSON: a copy would differ, so the record is not cached
    shared = tuple(getattr(record, name) for name in _SHARED_FIELDS)
    return _Entry(data, shared, stored_at)


def _seconds(value: timedelta, what: str) -> float:
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise DurationError(f"{what} must be a positive timedelta, not {value!r}.")
    return value.total_seconds()


class CachedRedisSessionStore:
    """A :class:`RedisSessionStore` whose loads come from memory while Redis reports changes.

    Writes and session lists always go to the inner store. A session ended by another
    process may load here until Redis's invalidation arrives (see :meth:`load`).

    Args:
        inner: the store to cache; it keeps doing every write.
        max_entries: records kept, least recently used dropped first.
        max_age: how long a record may be served before it is read again, a bound on
            staleness even if an invalidation were lost.
        heartbeat: how often a quiet listener pings Redis; two unanswered
            intervals count as a lost connection.
        max_backoff: the longest wait between two reconnection attempts.
        monotonic: the clock for ``max_age`` (tests pass a settable one).

    Raises:
        ConfigurationError: ``max_entries`` below 1, or a duration that is not a
            positive ``timedelta``.
    """

    def __init__(
        self,
        inner: RedisSessionStore,
        *,
        max_entries: int = 10_000,
        max_age: timedelta = timedelta(seconds=30),
        heartbeat: timedelta = timedelta(seconds=1),
        max_backoff: timedelta = timedelta(seconds=5),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 1:
            raise ConfigurationError(f"max_entries must be at least 1, not {max_entries!r}.")
        self.inner = inner
        self.max_entries = max_entries
        self._max_age = _seconds(max_age, "max_age")
        self._monotonic = monotonic
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._fills: dict[str, list[_Fill]] = {}
        # Bumped whenever the cache can no longer vouch for loads in flight.
        self._generation = 0
        self._active = False
        self._closed = False
        self._task: asyncio.Task[None] | None = None
        self._listener_id: int | None = None
        settings = inner.client.connection_pool.connection_kwargs
        self._encoding: str = settings.get("encoding", "utf-8")
        self._key_prefix = inner.record_prefix.encode(self._encoding)
        self._listener = InvalidationListener(
            inner.client,
            inner.record_prefix,
            heartbeat=_seconds(heartbeat, "heartbeat"),
            max_backoff=_seconds(max_backoff, "max_backoff"),
            on_connected=self._activate,
            on_keys=self._invalidated,
            on_lost=self._deactivate,
        )
        self._counts = dict.fromkeys(
            ("hits", "misses", "bypassed", "evictions", "invalidations", "flushes"), 0
        )

    async def load(self, session_id: str) -> SessionRecord | None:
        """Return the record, from memory when the cache holds it and is trusted.

        Args:
            session_id: the id from the cookie.

        Returns:
            A record the caller may change freely, or ``None``.

        Raises:
            StoreUnavailableError: Redis cannot be reached (never a cached answer
                once the listener has seen the connection go).
        """
        if (self._task is None or self._task.done()) and not self._closed:
            # Started on first use, in this loop; again if its loop went away.
            self._task = asyncio.get_running_loop().create_task(
                self._listener.run(), name="gatepass-session-cache-listener"
            )
        if not self._active:
            self._counts["bypassed"] += 1
            return await self.inner.load(session_id)
        entry = self._entries.get(session_id)
        if entry is not None:
            if self._monotonic() - entry.stored_at < self._max_age:
                # Security trade-off: a session ended (logout, "log out everywhere") by
                # another process still loads here until its invalidation arrives: well
                # under a millisecond on loopback, 2 * heartbeat at most if the link dies
                # silently, never past max_age (Redis docs, "Client-side caching in
                # Redis"). OWASP ASVS 4.0.3 V3.3.1 (logout invalidates the session) holds
                # once it arrives, and at once in the process that ended the session.
                self._entries.move_to_end(session_id)
                self._counts["hits"] += 1
                return SessionRecord(orjson.loads(entry.data), *entry.shared)  # a fresh copy
            del self._entries[session_id]
            self._counts["evictions"] += 1
        self._counts["misses"] += 1
        return await self._fill(session_id)

    async def _fill(self, session_id: str) -> SessionRecord | None:
        # Redis docs, "Client-side caching in Redis", "Avoiding race conditions": an
        # invalidation that arrives while the GET is in flight may be older than the
        # answer, so that answer is returned but not kept.
        fill = _Fill(self._generation)
        pending = self._fills.setdefault(session_id, [])
        pending.append(fill)
        try:
            record = await self.inner.load(session_id)
        finally:
            pending.remove(fill)
            if not pending:
                del self._fills[session_id]
        trusted = self._active and not fill.stale and fill.generation == self._generation
        if record is not None and trusted:
            self._keep(session_id, record)
        return record

    def _keep(self, session_id: str, record: SessionRecord) -> None:
        entry = _snapshot(record, self._monotonic())
        if entry is None:
            return
        self._entries[session_id] = entry
        self._entries.move_to_end(session_id)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
            self._counts["evictions"] += 1

    async def save(
        self, session_id: str, record: SessionRecord, *, ttl: timedelta, must_exist: bool = False
    ) -> bool:
        """Store through the inner store; this process never loads the old record again.

        Args:
            session_id: the id to store under.
            record: the session record.
            ttl: time to live from now.
            must_exist: only replace a live record, atomically in Redis.

        Returns:
            Whether it was stored.

        Raises:
            StoreUnavailableError: Redis cannot be reached.
        """
        self._forget(session_id)
        try:
            return await self.inner.save(session_id, record, ttl=ttl, must_exist=must_exist)
        finally:
            # Again afterwards: a load that overlapped the write may hold the old value.
            self._forget(session_id)

    async def delete(self, session_id: str) -> None:
        """Forget one session here and in Redis.

        Args:
            session_id: the id to delete.

        Raises:
            StoreUnavailableError: Redis cannot be reached.
        """
        self._forget(session_id)
        try:
            await self.inner.delete(session_id)
        finally:
            self._forget(session_id)

    async def delete_user_sessions(self, user_id: str, *, except_id: str | None = None) -> int:
        """Forget every session of a user except one, here and in Redis.

        Args:
            user_id: whose sessions to end.
            except_id: a session id to keep.

        Returns:
            How many live sessions were deleted.

        Raises:
            StoreUnavailableError: Redis cannot be reached.
        """
        self._forget_user(user_id)
        try:
            return await self.inner.delete_user_sessions(user_id, except_id=except_id)
        finally:
            self._forget_user(user_id)

    async def list_user_sessions(self, user_id: str) -> list[SessionInfo]:
        """The user's live sessions, most recently seen first, read from Redis.

        Raises:
            StoreUnavailableError: Redis cannot be reached.
        """
        return await self.inner.list_user_sessions(user_id)

    async def clear(self) -> int:
        """Empty the cache and delete every key under the inner store's prefix; count them.

        Raises:
            StoreUnavailableError: Redis cannot be reached.
        """
        self._flush()
        try:
            return await self.inner.clear()
        finally:
            self._flush()

    async def close(self) -> None:
        """Stop the listener, close its connection, then close the inner store."""
        self._closed = True
        self._listener.stop()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            _, pending = await asyncio.wait({task}, timeout=_CLOSE_TIMEOUT)
            if pending:  # never keep a stopping server waiting on the listener
                logger.warning("The session cache's Redis listener did not stop in time.")
        await self.inner.close()

    def stats(self) -> SessionCacheStats:
        """A snapshot of the cache's counters and state."""
        return SessionCacheStats(
            active=self._active,
            entries=len(self._entries),
            listener_id=self._listener_id,
            **self._counts,
        )

    def _forget(self, session_id: str) -> None:
        self._entries.pop(session_id, None)
        for fill in self._fills.get(session_id, ()):
            fill.stale = True

    def _forget_user(self, user_id: str) -> None:
        # Which ids the inner store deletes is known only to it: drop this user's
        # entries and let no load in flight be kept.
        self._generation += 1
        for session_id in [s for s, e in self._entries.items() if e.shared[_USER_ID] == user_id]:
            del self._entries[session_id]

    def _flush(self) -> None:
        self._generation += 1
        self._entries.clear()
        self._counts["flushes"] += 1

    def _activate(self, listener_id: int) -> None:
        # Loads already in flight began before Redis reported changes: none is kept.
        self._generation += 1
        self._listener_id = listener_id
        self._active = True

    def _deactivate(self) -> None:
        # Redis docs, "What to do when losing connection with the server": whatever
        # changed meanwhile went unreported, so nothing cached may be served.
        was_active, self._active = self._active, False
        self._listener_id = None
        if was_active:
            self._flush()

    def _invalidated(self, keys: list[bytes] | None) -> None:
        if keys is None:
            # A nil invalidation: FLUSHALL or FLUSHDB emptied the database.
            self._flush()
            return
        prefix = self._key_prefix
        for key in keys:
            self._counts["invalidations"] += 1
            if key.startswith(prefix):
                self._forget(key[len(prefix) :].decode(self._encoding, "replace"))
