"""SQLite stores (aiosqlite): the embedded default, tables created on first use.

Spending is one conditional ``UPDATE … WHERE spent = 0 … RETURNING`` statement, which
SQLite runs as its own transaction under the database write lock: of concurrent
spends, on one connection or many, exactly one sees the row (RFC 9700 §4.14.2).
Driver exceptions become :class:`StoreUnavailableError` in ``_sqlite.Database``.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from gatepass.tokens.stores._sqlite import Closing, Database, table_name
from gatepass.tokens.stores.base import Clock, RefreshRecord, SpendResult

__all__ = ["SQLiteRefreshStore", "SQLiteRevocationStore"]

_COLUMNS = (
    "token_hash, family_id, subject, client_id, scope, issued_at, expires_at, family_issued_at"
)


class SQLiteRefreshStore(Closing):
    """Refresh-token records in a SQLite table; expired rows are deleted as new ones arrive.

    Args:
        path: the database file (``":memory:"`` works for one connection).
        table: the table name, created on first use.
        clock: seconds since the epoch; defaults to ``time.time``.

    Raises:
        ConfigurationError: ``table`` is not a plain identifier.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        table: str = "gatepass_refresh_tokens",
        clock: Clock = time.time,
    ) -> None:
        self._table = table_name(table)
        self._clock = clock
        self._database = Database(
            path,
            [
                f"CREATE TABLE IF NOT EXISTS {self._table} ("
                "token_hash TEXT PRIMARY KEY, family_id TEXT NOT NULL, subject TEXT NOT NULL,"
                " client_id TEXT, scope TEXT, issued_at INTEGER NOT NULL,"
                " expires_at INTEGER NOT NULL, family_issued_at INTEGER NOT NULL,"
                " spent INTEGER NOT NULL DEFAULT 0)",
                f"CREATE INDEX IF NOT EXISTS {self._table}_expires ON {self._table} (expires_at)",
            ],
        )

    async def add(self, record: RefreshRecord) -> None:
        """Store a new, unspent record until its ``expires_at``.

        Args:
            record: the record to keep.

        Raises:
            StoreUnavailableError: the database cannot be used.
        """
        now = self._clock()
        # Keeps the table bounded: spent records are only needed until they expire.
        await self._database.execute(f"DELETE FROM {self._table} WHERE expires_at <= ?", (now,))  # noqa: S608
        await self._database.execute(
            f"INSERT INTO {self._table} ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
            (
                record.token_hash,
                record.family_id,
                record.subject,
                record.client_id,
                record.scope,
                record.issued_at,
                record.expires_at,
                record.family_issued_at,
            ),
        )

    async def spend(self, token_hash: str) -> SpendResult:
        """Mark the record spent with one conditional UPDATE; exactly one caller wins.

        Args:
            token_hash: hex SHA-256 of the presented token.

        Returns:
            ``ok`` for the caller whose UPDATE changed the row, ``reused`` when the row
            was already spent, ``unknown`` when no live row exists.

        Raises:
            StoreUnavailableError: the database cannot be used.
        """
        now = self._clock()
        row = await self._database.fetchone(
            f"UPDATE {self._table} SET spent = 1"  # noqa: S608
            " WHERE token_hash = ? AND spent = 0 AND expires_at > ?"
            f" RETURNING {_COLUMNS}",
            (token_hash, now),
        )
        if row is not None:
            return SpendResult("ok", _record(row))
        row = await self._database.fetchone(
            f"SELECT {_COLUMNS} FROM {self._table} WHERE token_hash = ? AND expires_at > ?",  # noqa: S608
            (token_hash, now),
        )
        if row is None:
            return SpendResult("unknown")
        return SpendResult("reused", _record(row))


def _record(row: sqlite3.Row) -> RefreshRecord:
    return RefreshRecord(
        token_hash=row["token_hash"],
        family_id=row["family_id"],
        subject=row["subject"],
        client_id=row["client_id"],
        scope=row["scope"],
        issued_at=row["issued_at"],
        expires_at=row["expires_at"],
        family_issued_at=row["family_issued_at"],
    )


class SQLiteRevocationStore(Closing):
    """Revocation entries in a SQLite table keyed ``jti:…``, ``fid:…``, ``sub:…``.

    Args:
        path: the database file.
        table: the table name, created on first use.
        clock: seconds since the epoch; defaults to ``time.time``.

    Raises:
        ConfigurationError: ``table`` is not a plain identifier.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        table: str = "gatepass_revocations",
        clock: Clock = time.time,
    ) -> None:
        self._table = table_name(table)
        self._clock = clock
        self._database = Database(
            path,
            [
                f"CREATE TABLE IF NOT EXISTS {self._table} ("
                "key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires_at INTEGER NOT NULL)",
                f"CREATE INDEX IF NOT EXISTS {self._table}_expires ON {self._table} (expires_at)",
            ],
        )

    async def revoke_token(self, jti: str, *, expires_at: int) -> None:
        """Revoke one token by ``jti`` until ``expires_at``.

        Args:
            jti: the token's ``jti``.
            expires_at: the token's ``exp``.

        Raises:
            StoreUnavailableError: the database cannot be used.
        """
        await self._put(f"jti:{jti}", 1, expires_at)

    async def revoke_family(self, family_id: str, *, expires_at: int) -> None:
        """Revoke a refresh family (and the access tokens carrying its id).

        Args:
            family_id: the family id.
            expires_at: when the last token of the family expires anyway.

        Raises:
            StoreUnavailableError: the database cannot be used.
        """
        await self._put(f"fid:{family_id}", 1, expires_at)

    async def revoke_subject(self, subject: str, *, before: int, expires_at: int) -> None:
        """Revoke every token of ``subject`` issued before ``before``; the latest cut-off wins.

        Args:
            subject: the user (``sub``).
            before: tokens with ``iat`` earlier than this are revoked.
            expires_at: when every such token has expired anyway.

        Raises:
            StoreUnavailableError: the database cannot be used.
        """
        await self._put(f"sub:{subject}", before, expires_at)

    async def is_revoked(
        self,
        *,
        jti: str | None = None,
        family_id: str | None = None,
        subject: str | None = None,
        issued_at: int | None = None,
    ) -> bool:
        """Answer, with one indexed SELECT, whether any of the given facts is revoked.

        Args:
            jti: the token's ``jti``.
            family_id: the family the token belongs to.
            subject: the token's ``sub``.
            issued_at: the token's ``iat`` (with ``subject``); a missing one counts as old.

        Returns:
            ``True`` when any of them is revoked.

        Raises:
            StoreUnavailableError: the database cannot be used.
        """
        row = await self._database.fetchone(
            f"SELECT 1 FROM {self._table} WHERE expires_at > ? AND ("  # noqa: S608
            "key = ? OR key = ? OR (key = ? AND (? IS NULL OR value > ?))) LIMIT 1",
            (
                self._clock(),
                None if jti is None else f"jti:{jti}",
                None if family_id is None else f"fid:{family_id}",
                None if subject is None else f"sub:{subject}",
                issued_at,
                issued_at,
            ),
        )
        return row is not None

    async def _put(self, key: str, value: int, expires_at: int) -> None:
        now = self._clock()
        if expires_at <= now:
            return
        await self._database.execute(f"DELETE FROM {self._table} WHERE expires_at <= ?", (now,))  # noqa: S608
        # Upsert keeping the latest cut-off and the longest expiry (RFC 7009 §2.2: a
        # revocation stays in force until the token it revokes has expired).
        await self._database.execute(
            f"INSERT INTO {self._table} (key, value, expires_at) VALUES (?, ?, ?)"  # noqa: S608
            " ON CONFLICT(key) DO UPDATE SET value = max(value, excluded.value),"
            " expires_at = max(expires_at, excluded.expires_at)",
            (key, value, expires_at),
        )
