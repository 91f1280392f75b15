"""Store protocols for refresh-token families and revocations.

Both are small on purpose: a store keeps records and answers one question in one round
trip; the policy (lifetimes, reuse detection, what to revoke) lives in
``gatepass.tokens.refresh`` and ``gatepass.tokens.revocation``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

__all__ = [
    "Clock",
    "RefreshRecord",
    "RefreshStore",
    "RevocationStore",
    "SpendResult",
    "SpendStatus",
]

Clock = Callable[[], float]
"""Seconds since the epoch; stores take it as a parameter so tests can move time."""

SpendStatus = Literal["ok", "reused", "unknown"]
"""``ok``: this call spent the token; ``reused``: it was spent before; ``unknown``:
never issued, or expired and forgotten."""


@dataclass(frozen=True, slots=True)
class RefreshRecord:
    """What a store keeps about one refresh token; never the token itself.

    Attributes:
        token_hash: hex SHA-256 of the opaque token (a leaked table yields no tokens).
        family_id: the family every rotation of one login shares.
        subject: the user the token was issued to (``sub``).
        client_id: the OAuth client, when known.
        scope: space-separated scopes, when known.
        issued_at: when this token was issued (epoch seconds).
        expires_at: when this token stops being usable (epoch seconds).
        family_issued_at: when the family started, i.e. when the user logged in.
    """

    token_hash: str
    family_id: str
    subject: str
    client_id: str | None
    scope: str | None
    issued_at: int
    expires_at: int
    family_issued_at: int


@dataclass(frozen=True, slots=True)
class SpendResult:
    """The outcome of :meth:`RefreshStore.spend`; ``record`` is ``None`` when unknown."""

    status: SpendStatus
    record: RefreshRecord | None = None


class RefreshStore(Protocol):
    """Keeps refresh-token records by hash and spends each exactly once."""

    async def add(self, record: RefreshRecord) -> None:
        """Store a new, unspent record until its ``expires_at``.

        Raises:
            StoreUnavailableError: the store cannot be reached.
        """
        ...

    async def spend(self, token_hash: str) -> SpendResult:
        """Mark the record spent, atomically: of concurrent calls exactly one gets ``ok``.

        Raises:
            StoreUnavailableError: the store cannot be reached.
        """
        ...


class RevocationStore(Protocol):
    """Keeps revoked token ids, family ids and per-subject cut-off times until they expire."""

    async def revoke_token(self, jti: str, *, expires_at: int) -> None:
        """Revoke one token by ``jti`` until ``expires_at`` (when the token dies anyway).

        Raises:
            StoreUnavailableError: the store cannot be reached.
        """
        ...

    async def revoke_family(self, family_id: str, *, expires_at: int) -> None:
        """Revoke a refresh family and every access token issued from it.

        Raises:
            StoreUnavailableError: the store cannot be reached.
        """
        ...

    async def revoke_subject(self, subject: str, *, before: int, expires_at: int) -> None:
        """Revoke every token of ``subject`` issued before ``before``; the latest cut-off wins.

        Raises:
            StoreUnavailableError: the store cannot be reached.
        """
        ...

    async def is_revoked(
        self,
        *,
        jti: str | None = None,
        family_id: str | None = None,
        subject: str | None = None,
        issued_at: int | None = None,
    ) -> bool:
        """Answer, in one round trip, whether any of the given facts is revoked.

        Raises:
            StoreUnavailableError: the store cannot be reached.
        """
        ...
