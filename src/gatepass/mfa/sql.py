"""The SQL ``MFAStore``: second factors beside the users, on the ``SQLUserStore``'s engine.

The user store's ``open()`` runs migration 0004, which creates the tables; open it
first. Database errors are translated as the user store translates them.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from gatepass.mfa.store import TOTPRecord
from gatepass.users.ids import Clock, as_utc, utc_now
from gatepass.users.sql import SQLUserStore
from gatepass.users.tables import user_recovery_codes as codes_table
from gatepass.users.tables import user_totp as totp_table

__all__ = ["SQLMFAStore"]


class SQLMFAStore:
    """An ``MFAStore`` in the user database (SQLite or PostgreSQL).

    Args:
        users: the open (or soon opened) SQL user store.
        clock: returns "now" for ``created_at``.
    """

    def __init__(self, users: SQLUserStore, *, clock: Clock = utc_now) -> None:
        self._users = users
        self._clock = clock

    async def get_totp(self, user_id: str) -> TOTPRecord | None:
        """See ``MFAStore``."""
        query = select(totp_table).where(totp_table.c.user_id == user_id)
        async with self._users._connect() as connection:
            row = (await connection.execute(query)).first()
        if row is None:
            return None
        return TOTPRecord(secret=row.secret, confirmed=bool(row.confirmed), last_step=row.last_step)

    async def begin_totp(self, user_id: str, secret: str) -> bool:
        """See ``MFAStore``; the primary key refuses a second row beside a confirmed one."""
        try:
            async with self._users._connect(write=True, notify=False) as connection:
                await connection.execute(
                    delete(totp_table).where(
                        totp_table.c.user_id == user_id, totp_table.c.confirmed.is_(False)
                    )
                )
                await connection.execute(
                    totp_table.insert().values(
                        user_id=user_id,
                        secret=secret,
                        confirmed=False,
                        last_step=None,
                        created_at=as_utc(self._clock()),
                    )
                )
        except IntegrityError:
            return False
        return True

    async def confirm_totp(self, user_id: str, step: int, code_hashes: Sequence[str]) -> bool:
        """See ``MFAStore``; one transaction, the ``WHERE`` decides a race."""
        async with self._users._connect(write=True, notify=False) as connection:
            result = await connection.execute(
                update(totp_table)
                .where(totp_table.c.user_id == user_id, totp_table.c.confirmed.is_(False))
                .values(confirmed=True, last_step=step)
            )
            if result.rowcount == 0:
                return False
            await connection.execute(delete(codes_table).where(codes_table.c.user_id == user_id))
            if code_hashes:
                await connection.execute(
                    codes_table.insert(),
                    [{"user_id": user_id, "code_hash": code} for code in code_hashes],
                )
        return True

    async def accept_step(self, user_id: str, step: int) -> bool:
        """See ``MFAStore``; a compare-and-set in one ``UPDATE`` (RFC 6238 §5.2)."""
        last = totp_table.c.last_step
        statement = (
            update(totp_table)
            .where(
                totp_table.c.user_id == user_id,
                totp_table.c.confirmed.is_(True),
                (last.is_(None)) | (last < step),
            )
            .values(last_step=step)
        )
        async with self._users._connect(write=True, notify=False) as connection:
            result = await connection.execute(statement)
        return bool(result.rowcount)

    async def use_recovery_code(self, user_id: str, code_hash: str) -> bool:
        """See ``MFAStore``; of two concurrent uses, one ``DELETE`` removes the row."""
        statement = delete(codes_table).where(
            codes_table.c.user_id == user_id, codes_table.c.code_hash == code_hash
        )
        async with self._users._connect(write=True, notify=False) as connection:
            result = await connection.execute(statement)
        return bool(result.rowcount)

    async def count_recovery_codes(self, user_id: str) -> int:
        """See ``MFAStore``."""
        query = select(func.count()).where(codes_table.c.user_id == user_id)
        async with self._users._connect() as connection:
            return int((await connection.execute(query)).scalar_one())

    async def remove_totp(self, user_id: str) -> bool:
        """See ``MFAStore``."""
        async with self._users._connect(write=True, notify=False) as connection:
            await connection.execute(delete(codes_table).where(codes_table.c.user_id == user_id))
            result = await connection.execute(
                delete(totp_table).where(totp_table.c.user_id == user_id)
            )
        return bool(result.rowcount)
