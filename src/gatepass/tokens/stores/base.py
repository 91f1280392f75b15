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
    "RefreshFamily",
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
class RefreshFamily:
    """One live login of a subject, as "your API logins" lists it; never a token.

    Attributes:
        family_id: the family id (the ``sid`` claim of its access tokens).
        subject: the user the family belongs to.
        client_id: the OAuth client, when known.
        issued_at: when the family started (the login), epoch seconds.
        last_used: when its latest refresh token was issued, epoch seconds.
        expires_at: when its latest refresh token stops being usable.
        device: a short summary of the user agent recorded at the login, when known.
        address: the client address recorded at the login, when known.
    """

    family_id: str
    subject: str
    client_id: str | None
    issued_at: int
    last_used: int
    expires_at: int
    device: str | None = None
    address: str | None = None


MAX_DEVICE_LENGTH = 60
"""Stores keep at most this many characters of a login's device and address.

Under Redis's ``hash-max-listpack-value`` (64 by default), so a family's hash stays a
compact listpack (~250 bytes) rather than a hash table (~650)."""


def login_detail(value: str | None) -> str | None:
    """Trim a device or address to what a store keeps (bounded memory per family).

    Args:
        value: the text recorded at login.

    Returns:
        At most :data:`MAX_DEVICE_LENGTH` characters, or ``None`` for nothing.
    """
    return value[:MAX_DEVICE_LENGTH] if value else None


def next_family_entry(
    previous: RefreshFamily | None,
    record: RefreshRecord,
    device: str | None,
    address: str | None,
) -> RefreshFamily:
    """The family entry after ``record`` was added: started by it, or moved on.

    Args:
        previous: the family's entry so far, if any.
        record: the record just added.
        device: the trimmed device of the login (used when the family starts).
        address: the trimmed address of the login (used when the family starts).

    Returns:
        The new entry.
    """
    return RefreshFamily(
        family_id=record.family_id,
        subject=record.subject,
        client_id=record.client_id,
        issued_at=record.family_issued_at,
        last_used=record.issued_at,
        expires_at=record.expires_at,
        device=device if previous is None else previous.device,
        address=address if previous is None else previous.address,
    )


@dataclass(frozen=True, slots=True)
class SpendResult:
    """The outcome of :meth:`RefreshStore.spend`; ``record`` is ``None`` when unknown."""

    status: SpendStatus
    record: RefreshRecord | None = None


class RefreshStore(Protocol):
    """Keeps refresh-token records by hash and spends each exactly once.

    It also keeps one small entry per live family, listed per subject, so a user can
    see and end their API logins (OWASP ASVS 5.0 7.5.2); the entry lives as long as the
    family's latest token.
    """

    async def add(
        self, record: RefreshRecord, *, device: str | None = None, address: str | None = None
    ) -> None:
        """Store a new, unspent record until its ``expires_at``, and note its family.

        The family's entry is created by its first record (with ``device`` and
        ``address``) and moved on by each later one (``last_used``, ``expires_at``).

        Raises:
            StoreUnavailableError: the store cannot be reached.
        """
        ...

    async def families(self, subject: str) -> list[RefreshFamily]:
        """The subject's families whose latest token has not expired, newest login first.

        Raises:
            StoreUnavailableError: the store cannot be reached.
        """
        ...

    async def forget_family(self, subject: str, family_id: str) -> bool:
        """Drop a family of ``subject`` from the list; whether it was listed.

        Forgetting does not revoke: the caller revokes the family first.

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
