"""The one-time token store contract: add a record, take it once, discard a subject's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["OneTimeRecord", "OneTimeStore"]


@dataclass(frozen=True, slots=True)
class OneTimeRecord:
    """One outstanding one-time token; the token itself is never stored.

    Attributes:
        key: the keyed hash (HMAC) of purpose and token, the record's identity.
        purpose: what the token may do, such as ``"reset_password"``.
        subject: the user id it was issued to.
        binding: a keyed hash of the account state it was issued against.
        data: purpose-specific text (the new address of an email change), or ``""``.
        expires_at: epoch seconds after which it is dead.
    """

    key: str
    purpose: str
    subject: str
    binding: str
    data: str
    expires_at: int


class OneTimeStore(Protocol):
    """Where one-time tokens wait to be spent. Each call raises
    :class:`~gatepass.errors.StoreUnavailableError` when the backend fails."""

    async def add(self, record: OneTimeRecord) -> None:
        """Keep ``record`` until its ``expires_at``."""

    async def take(self, key: str) -> OneTimeRecord | None:
        """Remove and return the live record of ``key``; of concurrent takes one wins."""

    async def discard(self, purpose: str, subject: str) -> None:
        """Remove every outstanding record of ``subject`` for ``purpose``."""
