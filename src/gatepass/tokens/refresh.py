"""Opaque refresh tokens: issued in families, rotated on every use, reuse revokes all.

A refresh token is 256 bits from :mod:`secrets`, shown to the client once and stored
only as its SHA-256 hash, so a leaked table yields no usable token (OWASP ASVS 3.5.2;
a slow hash adds nothing against 256 random bits). Each use spends the token and
returns a new one of the same family; presenting a spent token means two parties hold
it, so the whole family and every access token issued from it are revoked
(RFC 9700 §4.14.2, refresh token rotation). A family also has an absolute lifetime
counted from the login: however often it is used, it ends, and the user signs in again
(RFC 9700 §4.14.2, "refresh token expiration").
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from gatepass.errors import (
    ConfigurationError,
    ExpiredTokenError,
    RevokedTokenError,
    TokenError,
    WrongTokenTypeError,
)
from gatepass.tokens.revocation import RevocationList
from gatepass.tokens.stores.base import Clock, RefreshRecord, RefreshStore

__all__ = [
    "IssuedRefreshToken",
    "RefreshTokenService",
    "hash_refresh_token",
    "new_family_id",
    "new_refresh_token",
]

_MAX_TOKEN_LENGTH = 256
_UNKNOWN = "The refresh token is unknown or has expired."


def new_refresh_token() -> str:
    """Make a fresh opaque refresh token: 256 random bits, URL-safe base64.

    Returns:
        The token text (43 characters).
    """
    return secrets.token_urlsafe(32)


def new_family_id() -> str:
    """Make a fresh refresh-family id: 128 random bits, URL-safe base64.

    Returns:
        The id text.
    """
    return secrets.token_urlsafe(16)


def hash_refresh_token(token: str) -> str:
    """The lookup key a store keeps instead of the token.

    Args:
        token: the opaque token text.

    Returns:
        Hex SHA-256 of the token.
    """
    return hashlib.sha256(token.encode()).hexdigest()


def _could_be_issued(token: str) -> bool:
    # Issued tokens are short ASCII (base64url); other text, a lone surrogate that
    # cannot even be encoded included, is simply not one of ours: never a 500.
    return bool(token) and len(token) <= _MAX_TOKEN_LENGTH and token.isascii()


@dataclass(frozen=True, slots=True)
class IssuedRefreshToken:
    """A refresh token to hand to the client once, with the record the store kept."""

    token: str = field(repr=False)
    record: RefreshRecord


class RefreshTokenService:
    """Issues, rotates and revokes opaque refresh tokens grouped in families.

    Args:
        store: where records live (memory, SQLite or Redis).
        revocations: the revocation list shared with access-token verification.
        lifetime: how long each refresh token is usable (default 14 days).
        max_family_lifetime: how long a family lasts from its login, however often
            it is rotated (default 30 days); no token outlives it.
        clock: seconds since the epoch; defaults to ``time.time``.
        token_factory: makes token text; defaults to :func:`new_refresh_token`.
        family_id_factory: makes family ids; defaults to :func:`new_family_id`.

    Raises:
        ConfigurationError: ``lifetime`` or ``max_family_lifetime`` is not positive.
    """

    def __init__(
        self,
        store: RefreshStore,
        revocations: RevocationList,
        *,
        lifetime: timedelta = timedelta(days=14),
        max_family_lifetime: timedelta = timedelta(days=30),
        clock: Clock = time.time,
        token_factory: Callable[[], str] = new_refresh_token,
        family_id_factory: Callable[[], str] = new_family_id,
    ) -> None:
        if lifetime <= timedelta(0):
            raise ConfigurationError("The refresh token lifetime must be a positive timedelta.")
        if max_family_lifetime <= timedelta(0):
            raise ConfigurationError("max_family_lifetime must be a positive timedelta.")
        self._family_lifetime = math.ceil(max_family_lifetime.total_seconds())
        self._store = store
        self._revocations = revocations
        self._lifetime = math.ceil(lifetime.total_seconds())
        self._clock = clock
        self._token_factory = token_factory
        self._family_id_factory = family_id_factory

    async def issue(
        self,
        subject: str,
        *,
        client_id: str | None = None,
        scope: str | None = None,
        device: str | None = None,
        address: str | None = None,
    ) -> IssuedRefreshToken:
        """Start a new family (a login) with its first refresh token.

        Args:
            subject: the user (``sub``).
            client_id: the OAuth client, when known.
            scope: space-separated scopes, when known.
            device: a short user-agent summary, listed with the family.
            address: the client address, listed with the family.

        Returns:
            The token and its record.

        Raises:
            StoreUnavailableError: the store cannot be reached.
        """
        now = math.floor(self._clock())
        return await self._add(
            family_id=self._family_id_factory(),
            subject=subject,
            client_id=client_id,
            scope=scope,
            family_issued_at=now,
            device=device,
            address=address,
        )

    async def rotate(self, token: str, *, client_id: str | None = None) -> IssuedRefreshToken:
        """Spend a refresh token and issue the next one of its family.

        Args:
            token: the opaque token the client presented.
            client_id: the authenticated client making the request, when known; a token
                issued to another client is refused and its family revoked.

        Returns:
            The new token and its record (same family, same subject and scope).

        Raises:
            WrongTokenTypeError: a JWT was presented where a refresh token is expected.
            TokenError: the token is unknown or expired.
            ExpiredTokenError: its family is older than ``max_family_lifetime``.
            RevokedTokenError: the token was already spent or belongs to another client
                (its family is now revoked), or its family was revoked.
            StoreUnavailableError: a store cannot be reached (fail closed).
        """
        result = await self._store.spend(self._lookup_key(token))
        if result.record is None:
            raise TokenError(_UNKNOWN)
        record = result.record
        if result.status == "reused":
            # Two parties hold this family: revoke all of it (RFC 9700 §4.14.2).
            await self._revocations.revoke_family(record.family_id)
            raise RevokedTokenError("The refresh token was already used; its session is revoked.")
        if client_id is not None and record.client_id not in (None, client_id):
            # Refresh tokens are bound to their client (RFC 6749 §10.4, RFC 9700 §4.14):
            # another client holding one means it leaked.
            await self._revocations.revoke_family(record.family_id)
            raise RevokedTokenError("The refresh token was issued to another client.")
        if await self._revocations.is_family_revoked(record):
            raise RevokedTokenError("The refresh token's session has been revoked.")
        family_deadline = record.family_issued_at + self._family_lifetime
        if math.floor(self._clock()) >= family_deadline:
            # Absolute lifetime from the login (RFC 9700 §4.14.2): a stolen family
            # cannot be kept alive forever by rotating it.
            raise ExpiredTokenError(
                "The session has reached its maximum lifetime; sign in again.",
                expired_at=datetime.fromtimestamp(family_deadline, UTC),
            )
        return await self._add(
            family_id=record.family_id,
            subject=record.subject,
            client_id=record.client_id,
            scope=record.scope,
            family_issued_at=record.family_issued_at,
        )

    async def revoke(self, token: str) -> None:
        """Revoke the family of a refresh token (RFC 7009); unknown tokens are ignored.

        Args:
            token: the opaque token the client presented.

        Raises:
            WrongTokenTypeError: a JWT was presented where a refresh token is expected.
            StoreUnavailableError: a store cannot be reached.
        """
        if type(token) is str and token.count(".") != 2 and not _could_be_issued(token):
            return  # RFC 7009 §2.2: an invalid token is no error for revocation
        result = await self._store.spend(self._lookup_key(token))
        if result.record is not None:
            await self._revocations.revoke_family(result.record.family_id)

    def _lookup_key(self, token: str) -> str:
        if type(token) is not str:
            raise TokenError(_UNKNOWN)
        if token.count(".") == 2:
            # Explicit typing: an access JWT is never accepted as a refresh token
            # (RFC 8725 §3.11).
            raise WrongTokenTypeError("An access token was presented as a refresh token.")
        if not _could_be_issued(token):
            raise TokenError(_UNKNOWN)
        return hash_refresh_token(token)

    async def _add(
        self,
        *,
        family_id: str,
        subject: str,
        client_id: str | None,
        scope: str | None,
        family_issued_at: int,
        device: str | None = None,
        address: str | None = None,
    ) -> IssuedRefreshToken:
        now = math.floor(self._clock())
        token = self._token_factory()
        record = RefreshRecord(
            token_hash=hash_refresh_token(token),
            family_id=family_id,
            subject=subject,
            client_id=client_id,
            scope=scope,
            issued_at=now,
            # No token outlives its family (RFC 9700 §4.14.2).
            expires_at=min(now + self._lifetime, family_issued_at + self._family_lifetime),
            family_issued_at=family_issued_at,
        )
        await self._store.add(record, device=device, address=address)
        return IssuedRefreshToken(token=token, record=record)
