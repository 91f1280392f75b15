"""The ``UserStore`` protocol: the few async operations gatepass needs of a user table.

Kept small on purpose; each backend (memory, SQL) passes one shared contract suite.
A later table of OAuth identities (provider, subject) -> user id sits beside this
one and does not change this protocol.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from gatepass.users.model import User


@runtime_checkable
class UserStore(Protocol):
    """Where users live. Every method may raise ``StoreUnavailableError`` (503)."""

    async def find_by_id(self, user_id: str) -> User | None:
        """Return the user with this id, or ``None``.

        Args:
            user_id: the id given at creation.

        Returns:
            The user, or ``None`` when there is none.

        Raises:
            StoreUnavailableError: the store cannot be reached.
        """
        ...

    async def find_by_email(self, email: str) -> User | None:
        """Return the user with this email (normalized here first), or ``None``.

        Args:
            email: the address as typed; text that is no address finds nobody.

        Returns:
            The user, or ``None`` when there is none.

        Raises:
            StoreUnavailableError: the store cannot be reached.
        """
        ...

    async def create(
        self,
        *,
        email: str,
        password_hash: str | None,
        display_name: str | None = None,
        email_verified: bool = False,
    ) -> User:
        """Create an active user with a new random id.

        Args:
            email: the address as typed; it is stored in normal form.
            password_hash: an argon2id hash, or ``None`` for a provider-only account.
            display_name: an optional name to show.
            email_verified: the address is already proved (a provider asserted it).

        Returns:
            The stored user.

        Raises:
            InvalidEmailError: ``email`` is not an address (422).
            UserExistsError: an account with this normalized email exists (409),
                also when two creates race.
            StoreUnavailableError: the store cannot be reached.
        """
        ...

    async def set_password_hash(
        self, user_id: str, password_hash: str | None, *, expected: str | None = None
    ) -> User | None:
        """Replace a user's password hash (a rehash on login, or a password change).

        With ``expected`` the write is a compare-and-set in one atomic step: it happens
        only while the stored hash is still ``expected``, so a rehash made by a login
        never undoes a password change that landed in the meantime.

        Args:
            user_id: whose hash to replace.
            password_hash: the new hash, or ``None`` to remove password sign-in.
            expected: replace only if this is the stored hash; ``None`` replaces
                whatever is stored.

        Returns:
            The updated user, or ``None`` when there is no such user or its hash is no
            longer ``expected`` (nothing was written).

        Raises:
            StoreUnavailableError: the store cannot be reached.
        """
        ...

    async def verify_email(self, user_id: str, *, remove_password: bool = False) -> User | None:
        """Mark a user's email verified, once: only while it is still unverified.

        The check and the write are one atomic step, so of two concurrent calls one
        wins. With ``remove_password`` the same step removes the password: a
        provider sign-in that takes over an unverified account ends the hold of
        whoever set that password (account pre-hijacking, Sudhodanan & Paverd 2022).

        Args:
            user_id: whose email is now proved.
            remove_password: also remove the password hash.

        Returns:
            The updated user, or ``None`` when there is no such user or its email was
            already verified (nothing was written).

        Raises:
            StoreUnavailableError: the store cannot be reached.
        """
        ...

    async def change_email(self, user_id: str, new_email: str) -> User | None:
        """Give a user a new email address, proved by a mailed link, so verified.

        Args:
            user_id: whose address changes.
            new_email: the new address as typed; stored in its normal form.

        Returns:
            The updated user, or ``None`` when there is no such user.

        Raises:
            InvalidEmailError: ``new_email`` is not an address (422).
            UserExistsError: another account has this normalized email (409), also
                when two changes race.
            StoreUnavailableError: the store cannot be reached.
        """
        ...

    async def disable(self, user_id: str) -> User | None:
        """Mark a user inactive; a disabled user can no longer sign in.

        Args:
            user_id: whom to disable.

        Returns:
            The updated user, or ``None`` when there is no such user.

        Raises:
            StoreUnavailableError: the store cannot be reached.
        """
        ...

    async def list_users(self, *, limit: int = 100, offset: int = 0) -> list[User]:
        """Return users oldest first (then by id), one page at a time.

        Args:
            limit: at most this many users.
            offset: skip this many first.

        Returns:
            The page of users.

        Raises:
            StoreUnavailableError: the store cannot be reached.
        """
        ...
