"""The SQL ``IdentityStore``: provider identities beside the users, in the same database."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from gatepass.errors import IdentityLinkedError
from gatepass.users.identities import Identity
from gatepass.users.ids import Clock, as_utc, utc_now
from gatepass.users.sql import SQLUserStore


class SQLIdentityStore:
    """An ``IdentityStore`` in the user database, on the ``SQLUserStore``'s own engine.

    The user store's ``open()`` runs migration 0002, which creates the table; open it
    first. Database errors are translated as the user store translates them.

    Args:
        users: the open (or soon opened) SQL user store.
        clock: returns "now" for ``created_at``.
    """

    def __init__(self, users: SQLUserStore, *, clock: Clock = utc_now) -> None:
        self._users = users
        self._clock = clock
        # user id -> (the users' change version when read, the links); see list_for_user
        self._lists: dict[str, tuple[object, list[Identity]]] = {}

    async def find(self, provider: str, subject: str) -> Identity | None:
        """Return the link, or ``None`` (see ``IdentityStore``)."""
        from sqlalchemy import select

        from gatepass.users.tables import user_identities as table

        query = select(table).where(table.c.provider == provider, table.c.subject == subject)
        async with self._users._connect() as connection:
            row = (await connection.execute(query)).first()
        return None if row is None else _to_identity(row._mapping)

    async def link(
        self, user_id: str, provider: str, subject: str, *, email: str | None = None
    ) -> Identity:
        """Link a provider account (see ``IdentityStore``).

        Raises:
            IdentityLinkedError: linked to another user (the primary key decides
                between two racing links).
            LookupError: there is no user ``user_id``.
        """
        from sqlalchemy.exc import IntegrityError

        from gatepass.users.tables import user_identities as table

        identity = Identity(
            provider=provider,
            subject=subject,
            user_id=user_id,
            email=email,
            created_at=as_utc(self._clock()),
        )
        try:
            async with self._users._connect(write=True) as connection:
                await connection.execute(
                    table.insert().values(
                        provider=provider,
                        subject=subject,
                        user_id=user_id,
                        email=email,
                        created_at=identity.created_at,
                    )
                )
        except IntegrityError as exc:
            existing = await self.find(provider, subject)
            if existing is None:
                raise LookupError(f"There is no user {user_id!r} to link to.") from exc
            if existing.user_id != user_id:
                raise IdentityLinkedError() from exc
            return existing
        return identity

    async def unlink(self, user_id: str, provider: str, subject: str) -> bool:
        """Remove a user's link (see ``IdentityStore``)."""
        from sqlalchemy import delete

        from gatepass.users.tables import user_identities as table

        statement = delete(table).where(
            table.c.user_id == user_id, table.c.provider == provider, table.c.subject == subject
        )
        async with self._users._connect(write=True) as connection:
            result = await connection.execute(statement)
        return bool(result.rowcount)

    async def unlink_unless_last(
        self, user_id: str, provider: str, subject: str, *, usable: Collection[str]
    ) -> bool:
        """Remove a user's link unless it is their last way to sign in, atomically.

        The link goes only if the user has a password or another link whose provider
        is in ``usable``; the check and the delete are one statement under a lock on
        the user's row, so two concurrent unlinks cannot remove both last links.

        Args:
            user_id: the user.
            provider: the provider name.
            subject: the provider's account id.
            usable: providers that can still sign the user in (the configured ones).

        Returns:
            ``True`` when the link was removed; ``False`` when there is no such link
            or it is the user's last way in.

        Raises:
            StoreUnavailableError: the database cannot be reached.
        """
        from sqlalchemy import and_, delete, exists, not_, or_, select

        from gatepass.users.tables import user_identities as table
        from gatepass.users.tables import users

        other = table.alias("other")
        has_password = exists().where(users.c.id == user_id, users.c.password_hash.is_not(None))
        other_way_in = exists().where(
            other.c.user_id == user_id,
            not_(and_(other.c.provider == provider, other.c.subject == subject)),
            other.c.provider.in_(sorted(usable)),
        )
        statement = delete(table).where(
            table.c.user_id == user_id,
            table.c.provider == provider,
            table.c.subject == subject,
            or_(has_password, other_way_in),
        )
        async with self._users._connect(write=True) as connection:
            # Check-then-delete is a write skew under READ COMMITTED: lock the user's
            # row first so concurrent unlinks of one user run one after the other
            # (CWE-362; OWASP ASVS 2.5 "an account keeps a way in"). SQLite ignores
            # FOR UPDATE; there the single DELETE statement holds the write lock.
            await connection.execute(
                select(users.c.id).where(users.c.id == user_id).with_for_update()
            )
            result = await connection.execute(statement)
        return bool(result.rowcount)

    async def list_for_user(self, user_id: str) -> list[Identity]:
        """Return a user's links, oldest first (see ``IdentityStore``).

        With a change version on the user store (``SQLUserStore.change_version``, set
        where a ``UserCache`` watches the database), the list is kept in memory until
        any process changes the user database (links are written through the same
        store, so every link and unlink moves it).
        """
        version = self._users.change_version() if self._users.change_version else None
        trusted = version is not None and min(version) >= 0
        if trusted:
            hit = self._lists.get(user_id)
            if hit is not None and hit[0] == version:
                return list(hit[1])
        links = await self._read_links(user_id)
        if trusted:
            if len(self._lists) >= _LISTS_KEPT:
                self._lists.clear()
            self._lists[user_id] = (version, links)
        return list(links)

    async def _read_links(self, user_id: str) -> list[Identity]:
        from sqlalchemy import select

        from gatepass.users.tables import user_identities as table

        query = (
            select(table)
            .where(table.c.user_id == user_id)
            .order_by(table.c.created_at, table.c.provider, table.c.subject)
        )
        async with self._users._connect() as connection:
            rows = (await connection.execute(query)).all()
        return [_to_identity(row._mapping) for row in rows]


_LISTS_KEPT = 10_000


def _to_identity(row: Any) -> Identity:
    created_at: datetime = row["created_at"]
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=UTC)  # SQLite keeps no offset
    return Identity(
        provider=row["provider"],
        subject=row["subject"],
        user_id=row["user_id"],
        email=row["email"],
        created_at=created_at,
    )
