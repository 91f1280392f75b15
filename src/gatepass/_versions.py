"""Change counters that say, from memory, whether a store may have changed.

A cache keeps an answer together with the version it read *before* asking the store,
and trusts it while the version is unchanged. Each source below moves its number on
every write, in this process and in any other; when it cannot vouch for that (a
lost connection, an unreadable file) it returns a number never returned before, so
every cached answer is asked again, never trusted (fail closed).

- :class:`SQLiteDataVersion`: ``PRAGMA data_version`` of a SQLite file (SQLite docs,
  "PRAGMA data_version"): it moves whenever another connection, in any process,
  commits to the file.
- :class:`RedisVersions`: counters in Redis that writers ``INCR``; each process hears
  of every change through Redis client-side caching in broadcasting mode (Redis docs,
  "Client-side caching in Redis") on a listener connection of its own.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import sqlite3
import threading
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = logging.getLogger("gatepass.stores")

# Returned while no version can be vouched for: below every real one, and never twice.
_UNTRUSTED = itertools.count(-1, -1)
_CLOSE_TIMEOUT = 2.0


def untrusted_version() -> int:
    """A version no cache entry can carry: the answer must be asked again.

    Returns:
        A negative number never returned before in this process.
    """
    return next(_UNTRUSTED)


class SQLiteDataVersion:
    """``() -> int`` that moves whenever any other connection commits to a SQLite file.

    Reads ``PRAGMA data_version`` on a private connection of its own, so commits made
    by this process's other connections count too. The read does not wait for locks
    (``busy_timeout`` 0): a busy or missing file gives an untrusted version.

    Args:
        path: the database file.
    """

    def __init__(self, path: str | Path) -> None:
        self._path = str(path)
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()  # one sqlite3 connection, callers in any thread

    def __call__(self) -> int:
        """The file's current data version, or an untrusted one.

        Returns:
            The version.
        """
        with self._lock:
            try:
                connection = self._connection
                if connection is None:
                    connection = self._connection = self._open()
                row = connection.execute("PRAGMA data_version").fetchone()
            except sqlite3.Error:
                self._close()
                return untrusted_version()
        return int(row[0])

    def _open(self) -> sqlite3.Connection:
        # mode=rw: never create the file; it belongs to the store.
        uri = Path(self._path).absolute().as_uri() + "?mode=rw"
        connection = sqlite3.connect(
            uri, uri=True, isolation_level=None, check_same_thread=False, timeout=0
        )
        return connection

    def _close(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            connection.close()

    def close(self) -> None:
        """Close the private connection (it reopens on the next call)."""
        with self._lock:
            self._close()


class RedisVersions:
    """Named change counters shared by every process through Redis.

    Writers call :meth:`bump` after their write lands; every process's
    :meth:`version` moves when Redis reports the counter's key changed. Until the
    listener connection is up (and whenever it is lost), :meth:`version` is untrusted.

    Args:
        client: the app's client; the listener opens its own connection.
        prefix: key prefix; counters are ``<prefix>version:<name>``.
        heartbeat: silence before the listener PINGs; two unanswered count as lost.
        max_backoff: the longest wait between reconnection attempts.
    """

    def __init__(
        self,
        client: Redis,
        *,
        prefix: str = "gatepass:",
        heartbeat: timedelta = timedelta(seconds=1),
        max_backoff: timedelta = timedelta(seconds=5),
    ) -> None:
        from gatepass._redis_listener import InvalidationListener

        self.client = client
        self.key_prefix = f"{prefix}version:"
        encoding = client.connection_pool.connection_kwargs.get("encoding", "utf-8")
        self._encoded_prefix = self.key_prefix.encode(encoding)
        self._encoding: str = encoding
        self._counts: dict[str, int] = {}
        self._active = False
        self._closed = False
        self._task: asyncio.Task[None] | None = None
        self._listener = InvalidationListener(
            client,
            self.key_prefix,
            heartbeat=heartbeat.total_seconds(),
            max_backoff=max_backoff.total_seconds(),
            on_connected=self._connected,
            on_keys=self._changed,
            on_lost=self._lost,
            name="change counters",
        )
        self._epoch = 0  # moves on every (re)connection: what was read before is stale
        self.listener_id: int | None = None  # the listener's Redis client id, when connected

    def key(self, name: str) -> str:
        """The Redis key of one counter.

        Args:
            name: the counter, such as ``users``.

        Returns:
            The key.
        """
        return self.key_prefix + name

    def version(self, name: str) -> int:
        """The counter's local view: trusted only while the listener is connected and
        has read everything Redis sent (a change on its way, or Redis gone, is noticed
        before the next answer from memory).

        Args:
            name: the counter.

        Returns:
            A number that moves on every change anywhere, or an untrusted one.
        """
        if not self._active or not self._listener.quiet():
            self._start()
            return untrusted_version()
        # (epoch, count) folded into one number: both only grow while trusted.
        return (self._epoch << 32) + self._counts.get(name, 0)

    async def bump(self, name: str) -> None:
        """Tell every process that ``name`` changed (call after the write landed).

        Args:
            name: the counter.

        Raises:
            redis.RedisError: Redis cannot be reached (the caller translates it).
        """
        self.changed_here(name)
        await self.client.incr(self.key(name))

    def changed_here(self, name: str) -> None:
        """Move the local view at once, for a write whose ``INCR`` the caller sends.

        Args:
            name: the counter.
        """
        self._counts[name] = self._counts.get(name, 0) + 1

    async def aclose(self) -> None:
        """Stop the listener and close its connection."""
        self._closed = True
        self._listener.stop()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            _, pending = await asyncio.wait({task}, timeout=_CLOSE_TIMEOUT)
            if pending:
                logger.warning("The change counters' Redis listener did not stop in time.")

    def _start(self) -> None:
        if self._closed or (self._task is not None and not self._task.done()):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop here: stay untrusted, start on a later call
            return
        self._task = loop.create_task(self._listener.run(), name="gatepass-version-listener")

    def _connected(self, listener_id: int) -> None:
        self._epoch += 1
        self.listener_id = listener_id
        self._active = True

    def _lost(self) -> None:
        # Changes made while nobody listened went unreported: nothing read is trusted.
        self._active = False
        self.listener_id = None
        self._epoch += 1

    def _changed(self, keys: list[bytes] | None) -> None:
        if keys is None:  # FLUSHALL / FLUSHDB
            self._epoch += 1
            return
        prefix = self._encoded_prefix
        for key in keys:
            if key.startswith(prefix):
                name = key[len(prefix) :].decode(self._encoding, "replace")
                self._counts[name] = self._counts.get(name, 0) + 1
