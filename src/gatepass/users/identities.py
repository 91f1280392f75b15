"""Account linking: a provider identity (provider, subject) maps to a local user.

``IdentityStore`` keeps the links (memory, or SQL beside ``SQLUserStore`` on its
engine, table ``gatepass_user_identities`` from migration 0002). :func:`link_or_create`
is the sign-in policy an app's ``verify(profile)`` calls.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from gatepass.errors import (
    AccountLinkRequiredError,
    IdentityLinkedError,
    InvalidCredentialsError,
    UserExistsError,
)
from gatepass.users.ids import Clock, as_utc, utc_now
from gatepass.users.model import User
from gatepass.users.store import UserStore

if TYPE_CHECKING:
    from gatepass.users.sql import SQLUserStore


class ProviderAssertion(Protocol):
    """What a provider asserts about who signed in (``ProviderProfile`` fits)."""

    @property
    def provider(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def email(self) -> str | None: ...
    @property
    def email_verified(self) -> bool: ...
    @property
    def name(self) -> str | None: ...


@dataclass(frozen=True, kw_only=True, slots=True)
class Identity:
    """One link from a provider account to a local user.

    Args:
        provider: the provider name (``"github"``).
        subject: the provider's stable id of the account.
        user_id: the local user.
        email: the email the provider gave when the link was made.
        created_at: when the link was made (UTC).
    """

    provider: str
    subject: str
    user_id: str
    email: str | None
    created_at: datetime


@runtime_checkable
class IdentityStore(Protocol):
    """Where identity links live. Every method may raise ``StoreUnavailableError``."""

    async def find(self, provider: str, subject: str) -> Identity | None:
        """Return the link of this provider account, or ``None``.

        Args:
            provider: the provider name.
            subject: the provider's id of the account.

        Returns:
            The identity or ``None``.
        """
        ...

    async def link(
        self, user_id: str, provider: str, subject: str, *, email: str | None = None
    ) -> Identity:
        """Link a provider account to a user; linking it again to the same user is a no-op.

        Args:
            user_id: the local user (the SQL store refuses an unknown id).
            provider: the provider name.
            subject: the provider's id of the account.
            email: the email the provider gave, kept for display.

        Returns:
            The identity (the existing one when already linked to this user).

        Raises:
            IdentityLinkedError: the provider account is linked to another user (409).
        """
        ...

    async def unlink(self, user_id: str, provider: str, subject: str) -> bool:
        """Remove a user's link.

        Args:
            user_id: the user who owns the link.
            provider: the provider name.
            subject: the provider's id of the account.

        Returns:
            True when a link was removed.
        """
        ...

    async def list_for_user(self, user_id: str) -> list[Identity]:
        """Return a user's links, oldest first.

        Args:
            user_id: the user.

        Returns:
            The identities.
        """
        ...


class MemoryIdentityStore:
    """An ``IdentityStore`` in a dict, for tests and single-process demos.

    Args:
        clock: returns "now" for ``created_at``.
    """

    def __init__(self, *, clock: Clock = utc_now) -> None:
        self._clock = clock
        self._links: dict[tuple[str, str], Identity] = {}

    async def find(self, provider: str, subject: str) -> Identity | None:
        """Return the link, or ``None`` (see ``IdentityStore``)."""
        return self._links.get((provider, subject))

    async def link(
        self, user_id: str, provider: str, subject: str, *, email: str | None = None
    ) -> Identity:
        """Link a provider account (see ``IdentityStore``).

        Raises:
            IdentityLinkedError: linked to another user.
        """
        existing = self._links.get((provider, subject))
        if existing is not None:
            if existing.user_id != user_id:
                raise IdentityLinkedError()
            return existing
        identity = Identity(
            provider=provider,
            subject=subject,
            user_id=user_id,
            email=email,
            created_at=as_utc(self._clock()),
        )
        self._links[(provider, subject)] = identity
        return identity

    async def unlink(self, user_id: str, provider: str, subject: str) -> bool:
        """Remove a user's link (see ``IdentityStore``)."""
        existing = self._links.get((provider, subject))
        if existing is None or existing.user_id != user_id:
            return False
        del self._links[(provider, subject)]
        return True

    async def list_for_user(self, user_id: str) -> list[Identity]:
        """Return a user's links, oldest first (see ``IdentityStore``)."""
        found = [i for i in self._links.values() if i.user_id == user_id]
        return sorted(found, key=lambda i: (i.created_at, i.provider, i.subject))


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
        """Return a user's links, oldest first (see ``IdentityStore``)."""
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


def _usable(user: User | None) -> User:
    if user is None:
        raise InvalidCredentialsError("The account linked to this sign-in no longer exists.")
    if not user.is_active:
        raise InvalidCredentialsError("This account is disabled.")
    return user


async def link_or_create(
    users: UserStore,
    identities: IdentityStore,
    profile: ProviderAssertion,
    *,
    create_users: bool = True,
    allow_unverified_signup: bool = False,
) -> User:
    """Find or make the local user for a provider sign-in.

    In order: a linked identity gives its user; else an account whose email the
    provider asserts as verified gets linked; an account with that email but no such
    assertion is refused (whoever controls the provider account has not proved they
    own the email: linking would hand them the account, OWASP ASVS 2.5 / "nOAuth");
    else a user without a password is created and linked.

    Args:
        users: the user store.
        identities: the identity store.
        profile: what the provider asserted.
        create_users: create an account for a new person; ``False`` for invite-only.
        allow_unverified_signup: create an account from an email the provider did not
            verify. Off by default: such an account squats the address before its
            owner signs up ("account pre-hijacking", Sudhodanan & Paverd, 2022).

    Returns:
        The active user.

    Raises:
        AccountLinkRequiredError: an account uses the email but the provider did not
            verify it: sign in with the password and link from the dashboard (409).
        InvalidCredentialsError: no account and none may be created, no usable email,
            or the account is disabled (401).
        IdentityLinkedError: a race linked the identity elsewhere (409).
        StoreUnavailableError: a store cannot be reached (503).
    """
    linked = await identities.find(profile.provider, profile.subject)
    if linked is not None:
        return _usable(await users.find_by_id(linked.user_id))
    for _attempt in range(2):  # a second pass settles a race with a concurrent sign-up
        user = await _by_email(users, profile)
        if user is None:
            if not create_users:
                raise InvalidCredentialsError(
                    "No account uses this sign-in, and new accounts cannot be created here."
                )
            if not profile.email or not (profile.email_verified or allow_unverified_signup):
                raise InvalidCredentialsError(
                    "The sign-in provider did not confirm an email address for this account; "
                    "confirm it there, or sign up with a password."
                )
            try:
                user = await users.create(
                    email=profile.email, password_hash=None, display_name=profile.name
                )
            except UserExistsError:
                continue
        _usable(user)  # a disabled account gets no new way in
        try:
            await identities.link(user.id, profile.provider, profile.subject, email=profile.email)
        except IdentityLinkedError:
            # The same first sign-in ran twice at once: the other run's link stands.
            again = await identities.find(profile.provider, profile.subject)
            if again is None:
                raise
            return _usable(await users.find_by_id(again.user_id))
        return _usable(user)
    raise UserExistsError()


async def _by_email(users: UserStore, profile: ProviderAssertion) -> User | None:
    if not profile.email:
        return None
    user = await users.find_by_email(profile.email)
    if user is not None and not profile.email_verified:
        raise AccountLinkRequiredError()
    return user
