"""SQLite session store: the embedded default, one file, no set-up.

The table is created on first use. Expired rows are ignored on read and purged now
and then on write. Any SQLite failure (locked, unwritable, corrupt) becomes
``StoreUnavailableError`` so the middleware fails closed with 503.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite
import orjson

from gatepass._folders import sqlite_file_folder
from gatepass._versions import SQLiteDataVersion
from gatepass.errors import StoreUnavailableError
from gatepass.sessions.stores.base import (
    Clock,
    SessionInfo,
    SessionRecord,
    system_clock,
    ttl_seconds,
)

# WAL lets readers proceed while one request writes; synchronous=NORMAL is durable in
# WAL mode except for the last commits on power loss, acceptable for sessions and about
# ten times faster than a full fsync per save.
_SCHEMA = """
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
CREATE TABLE IF NOT EXISTS {table} (
    id TEXT PRIMARY KEY,
    data BLOB NOT NULL,
    user_id TEXT,
    created_at REAL NOT NULL,
    last_seen REAL NOT NULL,
    expires_at REAL NOT NULL,
    remember INTEGER NOT NULL DEFAULT 0,
    user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS {table}_user ON {table} (user_id);
CREATE INDEX IF NOT EXISTS {table}_expires ON {table} (expires_at);
"""
logger = logging.getLogger("gatepass.stores")

_COLUMNS = "id, data, user_id, created_at, last_seen, remember, user_agent"
PURGE_EVERY = 200


def _record(row: sqlite3.Row | tuple[object, ...]) -> tuple[str, SessionRecord]:
    session_id, data, user_id, created, seen, remember, agent = tuple(row)
    return str(session_id), SessionRecord(
        data=orjson.loads(data),
        user_id=None if user_id is None else str(user_id),
        created_at=datetime.fromtimestamp(float(created), UTC),
        last_seen=datetime.fromtimestamp(float(seen), UTC),
        remember=bool(remember),
        user_agent=str(agent),
    )


def _probe(path: str, timeout: float) -> None:
    sqlite3.connect(path, timeout=timeout).close()


class SQLiteSessionStore:
    """Sessions in an SQLite file via ``aiosqlite``.

    Args:
        path: the database file (created if missing, with its folder);
            ``":memory:"`` works for tests.
        table: the table name (letters, digits and underscores).
        clock: time source for expiry.
        timeout: seconds to wait on a locked database before giving up with 503.
        cache_size: records and session lists kept in memory (0: none). Each is served
            only while ``PRAGMA data_version`` of the file is unchanged (no process
            wrote to it since) and its expiry has not passed; otherwise the file is read.

    Raises:
        ValueError: the table name is not a plain identifier.
        ConfigurationError: the file's folder is missing and cannot be created.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        table: str = "gatepass_sessions",
        clock: Clock = system_clock,
        timeout: float = 5.0,
        cache_size: int = 10_000,
    ) -> None:
        if not table.replace("_", "").isalnum() or not table.isascii():
            raise ValueError(f"Table name must be a plain identifier, not {table!r}.")
        self.path = str(path)
        sqlite_file_folder(self.path, what="session store")
        self.table = table
        self._clock = clock
        self._timeout = timeout
        self._db: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._writes = 0
        self._cache_size = cache_size
        self._data_version = SQLiteDataVersion(self.path) if cache_size > 0 else None
        # id -> (data version, expires_at, row); user id -> (version, first expiry, rows)
        self._loads: OrderedDict[str, tuple[int, float, tuple[object, ...]]] = OrderedDict()
        self._lists: OrderedDict[str, tuple[int, float, list[tuple[object, ...]]]] = OrderedDict()

    def _version(self) -> int:
        # Read before the query: a write landing meanwhile moves it, so that answer is
        # never served after the write. Negative: nothing may be served from memory.
        return -1 if self._data_version is None else self._data_version()

    def _keep(self, cache: OrderedDict[str, Any], key: str, entry: Any) -> None:
        cache[key] = entry
        cache.move_to_end(key)
        if len(cache) > self._cache_size:
            cache.popitem(last=False)

    async def _connect(self) -> aiosqlite.Connection:
        async with self._lock:
            if self._db is None:
                # Probe with plain sqlite3 first: a failed aiosqlite.connect leaves its
                # worker thread to finish after the caller has moved on (and possibly
                # after the event loop closed), which surfaces as a stray thread error.
                await asyncio.to_thread(_probe, self.path, self._timeout)
                db = await aiosqlite.connect(self.path, timeout=self._timeout)
                try:
                    await db.executescript(_SCHEMA.format(table=self.table))
                    await db.commit()
                except BaseException:
                    await db.close()
                    raise
                self._db = db
            return self._db

    @asynccontextmanager
    async def _use(self) -> AsyncIterator[aiosqlite.Connection]:
        try:
            yield await self._connect()
        except sqlite3.Error as error:
            # Fail closed: a locked or unwritable database refuses sessions (503). The
            # driver's text (paths) goes to the log, not to the 503 body (OWASP ASVS
            # 4.0.3 V7.4.1); the cause stays chained.
            logger.warning("The session store (SQLite) failed.", exc_info=error)
            raise StoreUnavailableError("The session store is unavailable.") from error

    def _now(self) -> float:
        return self._clock().timestamp()

    async def load(self, session_id: str) -> SessionRecord | None:
        """Return the stored record, or ``None`` if unknown or expired.

        Args:
            session_id: the id from the cookie.

        Returns:
            The record or ``None``.

        Raises:
            StoreUnavailableError: the database cannot be used.
        """
        version, now = self._version(), self._now()
        hit = self._loads.get(session_id)
        if hit is not None and hit[0] == version >= 0 and hit[1] > now:
            return _record(hit[2])[1]  # a fresh copy: callers may change it
        query = (
            f"SELECT {_COLUMNS}, expires_at FROM {self.table} "  # noqa: S608
            "WHERE id = ? AND expires_at > ?"
        )
        async with self._use() as db, db.execute(query, (session_id, now)) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        values = tuple(row)
        if version >= 0:
            self._keep(self._loads, session_id, (version, float(values[-1]), values[:-1]))
        return _record(values[:-1])[1]

    async def save(
        self, session_id: str, record: SessionRecord, *, ttl: timedelta, must_exist: bool = False
    ) -> bool:
        """Insert or replace a record that expires after ``ttl``.

        Args:
            session_id: the id to store under.
            record: the session record.
            ttl: time to live from now.
            must_exist: only replace a live record (one ``UPDATE``: atomic).

        Returns:
            Whether it was stored.

        Raises:
            StoreUnavailableError: the database cannot be used.
        """
        now = self._now()
        values = (
            session_id,
            orjson.dumps(record.data),
            record.user_id,
            record.created_at.timestamp(),
            record.last_seen.timestamp(),
            int(record.remember),
            record.user_agent,
            now + ttl_seconds(ttl),
        )
        async with self._use() as db:
            if must_exist:
                cursor = await db.execute(
                    f"UPDATE {self.table} SET data = ?, user_id = ?, created_at = ?, "  # noqa: S608
                    "last_seen = ?, remember = ?, user_agent = ?, expires_at = ? "
                    "WHERE id = ? AND expires_at > ?",
                    (*values[1:], session_id, now),
                )
                await db.commit()
                return cursor.rowcount == 1
            await db.execute(
                f"INSERT OR REPLACE INTO {self.table} "  # noqa: S608
                f"({_COLUMNS}, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                values,
            )
            self._writes += 1
            if self._writes % PURGE_EVERY == 0:
                await db.execute(f"DELETE FROM {self.table} WHERE expires_at <= ?", (now,))  # noqa: S608
            await db.commit()
        return True

    async def delete(self, session_id: str) -> None:
        """Forget one session.

        Args:
            session_id: the id to delete.

        Raises:
            StoreUnavailableError: the database cannot be used.
        """
        async with self._use() as db:
            await db.execute(f"DELETE FROM {self.table} WHERE id = ?", (session_id,))  # noqa: S608
            await db.commit()

    async def delete_user_sessions(self, user_id: str, *, except_id: str | None = None) -> int:
        """Forget every live session of a user except one.

        Args:
            user_id: whose sessions to end.
            except_id: a session id to keep.

        Returns:
            How many live sessions were deleted.

        Raises:
            StoreUnavailableError: the database cannot be used.
        """
        async with self._use() as db:
            cursor = await db.execute(
                f"DELETE FROM {self.table} WHERE user_id = ? AND id != ? "  # noqa: S608
                "AND expires_at > ?",
                (user_id, except_id or "", self._now()),
            )
            await db.commit()
            return max(cursor.rowcount, 0)

    async def list_user_sessions(self, user_id: str) -> list[SessionInfo]:
        """List a user's live sessions, most recently seen first.

        Args:
            user_id: whose sessions to list.

        Returns:
            The sessions with their metadata.

        Raises:
            StoreUnavailableError: the database cannot be used.
        """
        version, now = self._version(), self._now()
        hit = self._lists.get(user_id)
        if hit is not None and hit[0] == version >= 0 and hit[1] > now:
            return [SessionInfo.of(*_record(row)) for row in hit[2]]
        query = (
            f"SELECT {_COLUMNS}, expires_at FROM {self.table} "  # noqa: S608
            "WHERE user_id = ? AND expires_at > ? ORDER BY last_seen DESC"
        )
        async with self._use() as db, db.execute(query, (user_id, now)) as cursor:
            rows = [tuple(row) for row in await cursor.fetchall()]
        if version >= 0:
            # Served until the first of these sessions expires (then the list changes).
            first_expiry = min((float(row[-1]) for row in rows), default=float("inf"))
            self._keep(self._lists, user_id, (version, first_expiry, [r[:-1] for r in rows]))
        return [SessionInfo.of(*_record(row[:-1])) for row in rows]

    async def close(self) -> None:
        """Close the connection (a later call reopens it)."""
        self._loads.clear()
        self._lists.clear()
        if self._data_version is not None:
            self._data_version.close()
        async with self._lock:
            if self._db is not None:
                db, self._db = self._db, None
                await db.close()
