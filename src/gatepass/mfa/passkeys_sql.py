"""The SQL ``PasskeyStore``: passkeys beside the users, on the ``SQLUserStore``'s engine.

The user store's ``open()`` runs migration 0004, which creates the table. A credential
id is kept as base64url text (ids are up to 1023 bytes, W3C WebAuthn §5.1), the primary
key: one credential belongs to one user, decided by the database.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from gatepass.mfa.passkey_store import Passkey
from gatepass.users.sql import SQLUserStore
from gatepass.users.tables import user_passkeys as table

__all__ = ["SQLPasskeyStore"]


class SQLPasskeyStore:
    """A ``PasskeyStore`` in the user database (SQLite or PostgreSQL).

    Args:
        users: the open (or soon opened) SQL user store.
    """

    def __init__(self, users: SQLUserStore) -> None:
        self._users = users

    async def add_passkey(self, passkey: Passkey) -> bool:
        """See ``PasskeyStore``; the primary key refuses a second registration."""
        try:
            async with self._users._connect(write=True, notify=False) as connection:
                await connection.execute(
                    table.insert().values(
                        credential_id=_text(passkey.credential_id),
                        user_id=passkey.user_id,
                        public_key=passkey.public_key,
                        sign_count=passkey.sign_count,
                        transports=",".join(passkey.transports),
                        backup_eligible=passkey.backup_eligible,
                        backed_up=passkey.backed_up,
                        aaguid=passkey.aaguid,
                        name=passkey.name,
                        created_at=passkey.created_at,
                    )
                )
        except IntegrityError:
            return False
        return True

    async def find_passkey(self, credential_id: bytes) -> Passkey | None:
        """See ``PasskeyStore``."""
        query = select(table).where(table.c.credential_id == _text(credential_id))
        async with self._users._connect() as connection:
            row = (await connection.execute(query)).first()
        return None if row is None else _to_passkey(row._mapping)

    async def list_passkeys(self, user_id: str) -> list[Passkey]:
        """See ``PasskeyStore``."""
        query = (
            select(table)
            .where(table.c.user_id == user_id)
            .order_by(table.c.created_at, table.c.credential_id)
        )
        async with self._users._connect() as connection:
            rows = (await connection.execute(query)).all()
        return [_to_passkey(row._mapping) for row in rows]

    async def record_use(
        self, credential_id: bytes, *, expected_count: int, new_count: int, backed_up: bool
    ) -> bool:
        """See ``PasskeyStore``; a compare-and-set in one ``UPDATE``."""
        statement = (
            update(table)
            .where(
                table.c.credential_id == _text(credential_id),
                table.c.sign_count == expected_count,
            )
            .values(sign_count=new_count, backed_up=backed_up)
        )
        async with self._users._connect(write=True, notify=False) as connection:
            result = await connection.execute(statement)
        return bool(result.rowcount)

    async def rename_passkey(self, user_id: str, credential_id: bytes, name: str) -> bool:
        """See ``PasskeyStore``."""
        statement = (
            update(table)
            .where(table.c.credential_id == _text(credential_id), table.c.user_id == user_id)
            .values(name=name[:100])
        )
        async with self._users._connect(write=True, notify=False) as connection:
            result = await connection.execute(statement)
        return bool(result.rowcount)

    async def remove_passkey(self, user_id: str, credential_id: bytes) -> bool:
        """See ``PasskeyStore``."""
        statement = table.delete().where(
            table.c.credential_id == _text(credential_id), table.c.user_id == user_id
        )
        async with self._users._connect(write=True, notify=False) as connection:
            result = await connection.execute(statement)
        return bool(result.rowcount)


def _text(credential_id: bytes) -> str:
    return base64.urlsafe_b64encode(credential_id).rstrip(b"=").decode()


def _to_passkey(row: Any) -> Passkey:
    created_at: datetime = row["created_at"]
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=UTC)  # SQLite keeps no offset
    encoded: str = row["credential_id"]
    return Passkey(
        credential_id=base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)),
        user_id=row["user_id"],
        public_key=bytes(row["public_key"]),
        sign_count=int(row["sign_count"]),
        transports=tuple(filter(None, str(row["transports"]).split(","))),
        backup_eligible=bool(row["backup_eligible"]),
        backed_up=bool(row["backed_up"]),
        aaguid=row["aaguid"],
        name=row["name"],
        created_at=created_at,
    )
