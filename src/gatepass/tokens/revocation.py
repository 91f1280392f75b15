"""Revocation of access tokens and refresh families: by ``jti``, by family, by user.

Every verification asks one question of the store, in one round trip: is this token's
``jti`` revoked, is its family (the ``sid`` claim) revoked, or was its subject logged
out everywhere after it was issued? Entries live only as long as the tokens they revoke
(RFC 7009 §2.2), so the store stays bounded by what is still unexpired.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from datetime import timedelta

from gatepass.errors import ConfigurationError
from gatepass.tokens.stores.base import Clock, RefreshFamily, RefreshRecord, RevocationStore

__all__ = ["FAMILY_CLAIM", "RevocationList"]

FAMILY_CLAIM = "sid"
"""The access-token claim naming its refresh family: one login session (OIDC ``sid``)."""


def _text_claim(claims: Mapping[str, object], name: str) -> str | None:
    value = claims.get(name)
    return value if isinstance(value, str) and value else None


def _time_claim(claims: Mapping[str, object], name: str) -> int | None:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return math.floor(value)


class RevocationList:
    """Revokes tokens and answers ``is_revoked(claims)`` for the JWT ``Verifier``.

    Args:
        store: where entries live (memory, SQLite or Redis).
        access_ttl: the longest lifetime of an access token.
        refresh_ttl: the longest lifetime of a refresh token.
        clock: seconds since the epoch; defaults to ``time.time``.

    Raises:
        ConfigurationError: a lifetime is not positive.
    """

    def __init__(
        self,
        store: RevocationStore,
        *,
        access_ttl: timedelta = timedelta(minutes=15),
        refresh_ttl: timedelta = timedelta(days=14),
        clock: Clock = time.time,
    ) -> None:
        if access_ttl <= timedelta(0) or refresh_ttl <= timedelta(0):
            raise ConfigurationError("Token lifetimes must be positive timedeltas.")
        self._store = store
        self._clock = clock
        # () -> int that moves on every revocation, when the store can tell (a store
        # only this process writes); the Verifier then keeps "not revoked" answers.
        self.version: Callable[[], int] | None = getattr(store, "version", None)
        # Any token issued up to now is dead by now + this; so is every revocation entry.
        self._longest = math.ceil(max(access_ttl, refresh_ttl).total_seconds())

    async def revoke_token(self, claims: Mapping[str, object]) -> None:
        """Revoke one access token (logout) until its own ``exp``.

        Args:
            claims: the verified claims of the token; ``jti`` is required.

        Raises:
            ConfigurationError: the token has no ``jti`` to revoke it by.
            StoreUnavailableError: the store cannot be reached.
        """
        jti = _text_claim(claims, "jti")
        if jti is None:
            raise ConfigurationError("This token has no 'jti'; issue tokens with one to revoke.")
        now = math.floor(self._clock())
        expires_at = _time_claim(claims, "exp") or now + self._longest
        await self._store.revoke_token(jti, expires_at=expires_at)

    async def revoke_family(self, family_id: str) -> None:
        """Revoke a refresh family and every access token issued from it (RFC 9700 §4.14.2).

        Args:
            family_id: the family id (the ``sid`` claim of its access tokens).

        Raises:
            StoreUnavailableError: the store cannot be reached.
        """
        now = math.floor(self._clock())
        await self._store.revoke_family(family_id, expires_at=now + self._longest)

    async def revoke_subject(self, subject: str, *, before: int | None = None) -> None:
        """Log a user out everywhere: revoke their tokens and families issued before a time.

        Args:
            subject: the user (``sub``).
            before: epoch seconds; tokens with an earlier ``iat`` are revoked. Defaults to
                the current second, so a pair issued right after a password change, in the
                same second, stays valid.

        Raises:
            StoreUnavailableError: the store cannot be reached.
        """
        cutoff = math.floor(self._clock()) if before is None else before
        await self._store.revoke_subject(subject, before=cutoff, expires_at=cutoff + self._longest)

    async def is_revoked(self, claims: Mapping[str, object]) -> bool:
        """Tell whether verified access-token claims are revoked: the ``revocation_check``.

        Args:
            claims: the token's claims (``jti``, ``sid``, ``sub``, ``iat`` are consulted).

        Returns:
            ``True`` when the token, its family or its subject-before-``iat`` is revoked.

        Raises:
            StoreUnavailableError: the store cannot be reached (fail closed, never accept).
        """
        return await self._store.is_revoked(
            jti=_text_claim(claims, "jti"),
            family_id=_text_claim(claims, FAMILY_CLAIM),
            subject=_text_claim(claims, "sub"),
            issued_at=_time_claim(claims, "iat"),
        )

    async def is_family_revoked(self, record: RefreshRecord) -> bool:
        """Tell whether a refresh token's family is revoked, directly or by its user's cut-off.

        Args:
            record: the refresh token's record; the family's start time is what a
                log-out-everywhere cut-off is compared with.

        Returns:
            ``True`` when the family may not be refreshed any more.

        Raises:
            StoreUnavailableError: the store cannot be reached.
        """
        return await self._store.is_revoked(
            family_id=record.family_id,
            subject=record.subject,
            issued_at=record.family_issued_at,
        )

    async def is_listed_family_revoked(self, family: RefreshFamily) -> bool:
        """:meth:`is_family_revoked` for a listed family (same question, same answer).

        Args:
            family: the family's entry.

        Returns:
            ``True`` when the family may not be refreshed any more.

        Raises:
            StoreUnavailableError: the store cannot be reached.
        """
        return await self._store.is_revoked(
            family_id=family.family_id, subject=family.subject, issued_at=family.issued_at
        )
