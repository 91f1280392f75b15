"""The user record every part of gatepass passes around."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class User:
    """An account, as stored.

    It also has Starlette's ``BaseUser`` shape (``is_authenticated``, ``identity``,
    ``display_name``), so it can be ``request.user`` as it is.

    Args:
        id: random, opaque, never reused and never sequential.
        email: the address in normal form (see ``normalize_email``).
        password_hash: an argon2id PHC string, or ``None`` for an account that only
            signs in through an identity provider.
        is_active: ``False`` once disabled; a disabled user cannot sign in.
        created_at: when the account was created (timezone-aware, UTC).
        display_name: an optional name to show instead of the email.
        email_verified: ``True`` once the owner proved they receive mail at ``email``
            (a verification link, or a sign-in through a provider that asserts it).
    """

    id: str
    email: str
    password_hash: str | None
    is_active: bool
    created_at: datetime
    display_name: str | None = None
    email_verified: bool = False

    @property
    def is_authenticated(self) -> bool:
        """Always ``True``: a ``User`` is only ever someone who signed in."""
        return True

    @property
    def identity(self) -> str:
        """The user id, as Starlette's ``BaseUser.identity`` names it."""
        return self.id

    @property
    def has_password(self) -> bool:
        """``True`` when the account can sign in with a password."""
        return self.password_hash is not None
