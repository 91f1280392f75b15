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

from gatepass._versions import SQLiteDataVersion
from gatepass.tokens.stores._revocations import KeyedRevocations, Mark
from gatepass.tokens.stores._sqlite import Table
from gatepass.tokens.stores.base import (
    Clock,
    RefreshFamily,
    RefreshRecord,
    SpendResult,
    login_detail,
)

__all__ = ["SQLiteRefreshStore", "SQLiteRevocationStore"]

_COLUMNS = (
    "token_hash, family_id, subject, client_id, scope, issued_at, expires_at, family_issued_at"
)


_FAMILY_COLUMNS = "family_id, subject, client_id, issued_at, last_used, expires_at, device, address"


class SQLiteRefreshStore(Table):
    """Refresh-token records in a SQLite table; expired rows are deleted as new ones arrive.

    Each live family also has a row in ``<table>_families`` (a table of its own, so a
    database made by an earlier version needs no migration), listed per subject.

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
        super().__init__(
            path,
            table=table,
            clock=clock,
            columns="token_hash TEXT PRIMARY KEY, family_id TEXT NOT NULL,"
            " subject TEXT NOT NULL, client_id TEXT, scope TEXT, issued_at INTEGER NOT NULL,"
            " expires_at INTEGER NOT NULL, family_issued_at INTEGER NOT NULL,"
            " spent INTEGER NOT NULL DEFAULT 0",
            extra_schema=[
                f"CREATE TABLE IF NOT EXISTS {table}_families (family_id TEXT PRIMARY KEY,"
                " subject TEXT NOT NULL, client_id TEXT, issued_at INTEGER NOT NULL,"
                " last_used INTEGER NOT NULL, expires_at INTEGER NOT NULL, device TEXT,"
                " address TEXT)",
                f"CREATE INDEX IF NOT EXISTS {table}_families_subject"
                f" ON {table}_families (subject)",
                f"CREATE INDEX IF NOT EXISTS {table}_families_expires"
                f" ON {table}_families (expires_at)",
            ],
        )
        self._families = f"{self._table}_families"

    async def add(
        self, record: RefreshRecord, *, device: str | None = None, address: str | None = None
    ) -> None:
        """Store a new, unspent record until its ``expires_at``, and note its family.

        Args:
            record: the record to keep.
            device: a short user-agent summary, kept by the family's first record.
            address: the client address, kept by the family's first record.

        Raises:
            StoreUnavailableError: the database cannot be used.
        """
        now = self._clock()
        await self._delete_expired(now)
        await self._database.execute(
            f"DELETE FROM {self._families} WHERE expires_at <= ?",  # noqa: S608
            (now,),
        )
        # The first record of a family starts its row; later ones move it on and keep
        # the device and address of the login.
        await self._database.execute(
            f"INSERT INTO {self._families} ({_FAMILY_COLUMNS})"  # noqa: S608
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(family_id) DO UPDATE SET"
            " last_used = excluded.last_used, expires_at = excluded.expires_at",
            (
                record.family_id,
                record.subject,
                record.client_id,
                record.family_issued_at,
                record.issued_at,
                record.expires_at,
                login_detail(device),
                login_detail(address),
            ),
        )
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

    async def families(self, subject: str) -> list[RefreshFamily]:
        """The subject's families whose latest token has not expired, newest login first.

        Args:
            subject: the user.

        Returns:
            The families.

        Raises:
            StoreUnavailableError: the database cannot be used.
        """
        rows = await self._database.fetchall(
            f"SELECT {_FAMILY_COLUMNS} FROM {self._families}"  # noqa: S608
            " WHERE subject = ? AND expires_at > ? ORDER BY issued_at DESC, family_id",
            (subject, self._clock()),
        )
        return [RefreshFamily(**dict(row)) for row in rows]

    async def forget_family(self, subject: str, family_id: str) -> bool:
        """Drop a family of ``subject`` from the list (after revoking it).

        Args:
            subject: the user.
            family_id: the family.

        Returns:
            Whether it was listed.

        Raises:
            StoreUnavailableError: the database cannot be used.
        """
        row = await self._database.fetchone(
            f"DELETE FROM {self._families} WHERE subject = ? AND family_id = ?"  # noqa: S608
            " RETURNING family_id",
            (subject, family_id),
        )
        return row is not None


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


class SQLiteRevocationStore(KeyedRevocations, Table):
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
        super().__init__(
            path,
            table=table,
            clock=clock,
            columns="key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires_at INTEGER NOT NULL",
        )
        self._data_version = SQLiteDataVersion(path)

    def version(self) -> int:
        """A number that moves whenever any process writes to the database file.

        ``PRAGMA data_version`` (SQLite docs) read on a private connection: a verifier
        may keep a "not revoked" answer until it moves, and every revocation, by this
        process or another (``gatepass`` commands, a second server), moves it.

        Returns:
            The version, or a never-repeated negative number when the file cannot be
            read (nothing cached is trusted then).
        """
        return self._data_version()

    async def aclose(self) -> None:
        """Close the connections (they reopen on the next call)."""
        self._data_version.close()
        await super().aclose()

    async def _mark(self, kind: Mark, value: str, expires_at: int) -> None:
        await self._put(f"{kind}:{value}", 1, expires_at)

    async def _cut_off(self, subject: str, before: int, expires_at: int) -> None:
        await self._put(f"sub:{subject}", before, expires_at)

    async def _lookup(
        self, jti: str | None, family_id: str | None, subject: str | None, issued_at: int | None
    ) -> bool:
        # One indexed SELECT; a missing iat counts as older than any cut-off.
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
        await self._delete_expired(now)
        # Upsert keeping the latest cut-off and the longest expiry (RFC 7009 §2.2: a
        # revocation stays in force until the token it revokes has expired).
        await self._database.execute(
            f"INSERT INTO {self._table} (key, value, expires_at) VALUES (?, ?, ?)"  # noqa: S608
            " ON CONFLICT(key) DO UPDATE SET value = max(value, excluded.value),"
            " expires_at = max(expires_at, excluded.expires_at)",
            (key, value, expires_at),
        )
