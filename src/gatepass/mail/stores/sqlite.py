"""One-time tokens in a SQLite table (aiosqlite), created on first use.

Taking is one ``DELETE … RETURNING`` statement, its own transaction under SQLite's write
lock: of concurrent takes exactly one gets the row, so a link is spent once.
"""

from __future__ import annotations

import time
from pathlib import Path

from gatepass.mail.stores.base import OneTimeRecord
from gatepass.tokens.stores._sqlite import Table
from gatepass.tokens.stores.base import Clock

__all__ = ["SQLiteOneTimeStore"]

_COLUMNS = "key, purpose, subject, binding, data, expires_at"


class SQLiteOneTimeStore(Table):
    """One-time token records in a SQLite table; expired rows are deleted on add.

    Args:
        path: the database file.
        table: the table name, created on first use.
        clock: seconds since the epoch.

    Raises:
        ConfigurationError: ``table`` is not a plain identifier.
    """

    def __init__(
        self, path: str | Path, *, table: str = "gatepass_one_time_tokens", clock: Clock = time.time
    ) -> None:
        super().__init__(
            path,
            table=table,
            clock=clock,
            columns="key TEXT PRIMARY KEY, purpose TEXT NOT NULL, subject TEXT NOT NULL,"
            " binding TEXT NOT NULL, data TEXT NOT NULL, expires_at INTEGER NOT NULL",
        )

    async def add(self, record: OneTimeRecord) -> None:
        await self._delete_expired(self._clock())
        await self._database.execute(
            f"INSERT INTO {self._table} ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",  # noqa: S608
            (
                record.key,
                record.purpose,
                record.subject,
                record.binding,
                record.data,
                record.expires_at,
            ),
        )

    async def take(self, key: str) -> OneTimeRecord | None:
        row = await self._database.fetchone(
            f"DELETE FROM {self._table} WHERE key = ? RETURNING {_COLUMNS}",  # noqa: S608
            (key,),
        )
        if row is None or row["expires_at"] <= self._clock():
            return None
        return OneTimeRecord(*row)

    async def discard(self, purpose: str, subject: str) -> None:
        await self._database.execute(
            f"DELETE FROM {self._table} WHERE purpose = ? AND subject = ?",  # noqa: S608
            (purpose, subject),
        )
