"""Account linking: a provider identity (provider, subject) maps to a local user.

``IdentityStore`` keeps the links (memory here; SQL beside ``SQLUserStore`` on its
engine in ``identities_sql``, table ``gatepass_user_identities`` from migration 0002).
:func:`link_or_create` is the sign-in policy an app's ``verify(profile)`` calls.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from gatepass.errors import (
    AccountLinkRequiredError,
    IdentityLinkedError,
    InvalidCredentialsError,
    UserExistsError,
)
from gatepass.users.ids import Clock, as_utc, utc_now
from gatepass.users.model import User
from gatepass.users.store import UserStore


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


def _usable(user: User | None) -> User:
    if user is None:
        raise InvalidCredentialsError("The account linked to this sign-in no longer exists.")
    if not user.is_active:
        raise InvalidCredentialsError("This account is disabled.")
    return user


EndSessions = Callable[[User], Awaitable[None]]
"""``async end_sessions(user)``: end every session and token of a user taken over."""

_UNPROVED = (
    "An account with this email exists, but its address was never confirmed. Sign in "
    "with its password, then link this provider from your dashboard."
)


async def link_or_create(
    users: UserStore,
    identities: IdentityStore,
    profile: ProviderAssertion,
    *,
    create_users: bool = True,
    allow_unverified_signup: bool = False,
    end_sessions: EndSessions | None = None,
) -> User:
    """Find or make the local user for a provider sign-in.

    In order: a linked identity gives its user; else an account whose email the
    provider asserts as verified is used; an account with that email but no such
    assertion is refused (whoever controls the provider account has not proved they
    own the email: linking would hand them the account, OWASP ASVS 2.5 / "nOAuth");
    else a user without a password is created and linked.

    An account found by email whose own address was never verified may have been
    made by someone else before its owner came ("account pre-hijacking", the
    classic-federated merge of Sudhodanan & Paverd 2022; OWASP ASVS 5.0 6.3.4,
    6.8.1). The provider's verified email proves the owner, so with ``end_sessions``
    the sign-in takes the account over: its password and earlier links are removed,
    its email marked verified, and ``end_sessions(user)`` ends every session and
    token; without ``end_sessions`` the sign-in is refused.

    Args:
        users: the user store.
        identities: the identity store.
        profile: what the provider asserted.
        create_users: create an account for a new person; ``False`` for invite-only.
        allow_unverified_signup: create an account from an email the provider did not
            verify. Off by default: such an account squats the address before its
            owner signs up ("account pre-hijacking", Sudhodanan & Paverd, 2022).
        end_sessions: ends every session and token of a user; given, an unverified
            account with the provider's verified email is taken over.

    Returns:
        The active user.

    Raises:
        AccountLinkRequiredError: an account uses the email but the provider did not
            verify it, or the account's own email is unverified and there is no
            ``end_sessions``: sign in with the password and link from the dashboard (409).
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
                    email=profile.email,
                    password_hash=None,
                    display_name=profile.name,
                    email_verified=profile.email_verified,
                )
            except UserExistsError:
                continue
        else:
            _usable(user)  # a disabled account gets no new way in
            if not user.email_verified:  # _by_email: the provider verified this address
                user = await _take_over(users, identities, user, end_sessions)
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


async def _take_over(
    users: UserStore, identities: IdentityStore, user: User, end_sessions: EndSessions | None
) -> User:
    """End whatever hold another party may have on an account the provider proves is ours."""
    if end_sessions is None:
        raise AccountLinkRequiredError(_UNPROVED)
    # One compare-and-set: password gone and email verified together, so a password
    # set meanwhile cannot survive, and of two racing sign-ins one takes over.
    claimed = await users.verify_email(user.id, remove_password=True)
    if claimed is None:  # verified meanwhile (its owner proved it): nothing to end
        return _usable(await users.find_by_id(user.id))
    # Links made before the takeover may be the other party's own provider accounts
    # ("trojan identifier", Sudhodanan & Paverd 2022).
    for link in await identities.list_for_user(user.id):
        await identities.unlink(user.id, link.provider, link.subject)
    await end_sessions(claimed)
    return claimed


async def _by_email(users: UserStore, profile: ProviderAssertion) -> User | None:
    if not profile.email:
        return None
    user = await users.find_by_email(profile.email)
    if user is not None and not profile.email_verified:
        raise AccountLinkRequiredError()
    return user
