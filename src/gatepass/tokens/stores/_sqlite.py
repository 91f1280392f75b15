"""The one SQLite connection of a token store: opened lazily, errors translated."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

import aiosqlite

from gatepass._folders import sqlite_file_folder
from gatepass.errors import ConfigurationError
from gatepass.tokens.stores._errors import unavailable
from gatepass.tokens.stores.base import Clock

Params = Sequence[str | int | float | None]
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Database:
    """One lazily opened connection; a failed open is retried on the next call."""

    def __init__(self, path: str | Path, schema: Sequence[str]) -> None:
        sqlite_file_folder(path, what="token store")
        self._path = path
        self._schema = schema
        self._db: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        db = await self._connect()
        try:
            async with db.execute(sql, params) as cursor:
                return list(await cursor.fetchall())
        except sqlite3.Error as exc:
            raise unavailable("SQLite", exc) from exc

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        db = await self._connect()
        try:
            async with db.execute(sql, params) as cursor:
                return await cursor.fetchone()
        except sqlite3.Error as exc:
            raise unavailable("SQLite", exc) from exc

    async def execute(self, sql: str, params: Params = ()) -> None:
        db = await self._connect()
        try:
            await db.execute(sql, params)
        except sqlite3.Error as exc:
            raise unavailable("SQLite", exc) from exc

    async def close(self) -> None:
        if self._db is not None:
            db, self._db = self._db, None
            await db.close()

    async def _connect(self) -> aiosqlite.Connection:
        if self._db is not None:
            return self._db
        async with self._lock:
            if self._db is None:
                try:
                    # Probe first: a failed aiosqlite open leaves its worker thread
                    # finishing after the caller, which may outlive the event loop.
                    await asyncio.to_thread(_probe, self._path)
                except sqlite3.Error as exc:
                    raise unavailable("SQLite", exc) from exc
                # isolation_level=None: autocommit, every statement is its own transaction.
                db = await aiosqlite.connect(self._path, isolation_level=None)
                try:
                    db.row_factory = sqlite3.Row
                    await db.execute("PRAGMA busy_timeout = 5000")
                    for statement in self._schema:
                        await db.execute(statement)
                except sqlite3.Error as exc:
                    await db.close()
                    raise unavailable("SQLite", exc) from exc
                self._db = db
            return self._db


def _probe(path: str | Path) -> None:
    sqlite3.connect(path).close()


def table_name(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise ConfigurationError(f"Table name {name!r} is not a plain SQL identifier.")
    return name


class Table:
    """A store kept in one table of its own, created on first use with an expiry index.

    Args:
        path: the database file.
        table: the table name.
        clock: seconds since the epoch.
        columns: the column definitions of ``CREATE TABLE``; one is ``expires_at``.
        extra_schema: more statements run on connect (a side table, its indexes).

    Raises:
        ConfigurationError: ``table`` is not a plain identifier, or the file's folder
            is missing and cannot be created.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        table: str,
        clock: Clock,
        columns: str,
        extra_schema: Sequence[str] = (),
    ) -> None:
        self._table = table_name(table)
        self._clock = clock
        self._database = Database(
            path,
            [
                f"CREATE TABLE IF NOT EXISTS {self._table} ({columns})",
                f"CREATE INDEX IF NOT EXISTS {self._table}_expires ON {self._table} (expires_at)",
                *extra_schema,
            ],
        )

    async def _delete_expired(self, now: float) -> None:
        # Keeps the table bounded: a row is only needed until it expires.
        await self._database.execute(f"DELETE FROM {self._table} WHERE expires_at <= ?", (now,))  # noqa: S608

    async def aclose(self) -> None:
        """Close the connection (it reopens on the next call)."""
        await self._database.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
