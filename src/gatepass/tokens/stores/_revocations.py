"""The public face every revocation store shares; each backend fills in three hooks.

An entry is one of three kinds: ``jti`` (one token), ``fid`` (a refresh family and the
access tokens carrying its id) and ``sub`` (a per-subject cut-off time). How a
backend stores them, and how it keeps its check-and-set atomic, stays in the backend.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Literal

Mark = Literal["jti", "fid"]


class KeyedRevocations(ABC):
    """Revoked ``jti``s, family ids and per-subject cut-offs, each kept until it expires."""

    async def revoke_token(self, jti: str, *, expires_at: int) -> None:
        """Revoke one token by ``jti`` until ``expires_at`` (when the token dies anyway).

        Args:
            jti: the token's ``jti``.
            expires_at: the token's ``exp``; after it the entry is not needed.

        Raises:
            StoreUnavailableError: the store cannot be reached.
        """
        await self._mark("jti", jti, expires_at)

    async def revoke_family(self, family_id: str, *, expires_at: int) -> None:
        """Revoke a refresh family (and the access tokens carrying its id).

        Args:
            family_id: the family id.
            expires_at: when the last token of the family expires anyway.

        Raises:
            StoreUnavailableError: the store cannot be reached.
        """
        await self._mark("fid", family_id, expires_at)

    async def revoke_subject(self, subject: str, *, before: int, expires_at: int) -> None:
        """Revoke every token of ``subject`` issued before ``before``; the latest cut-off wins.

        Args:
            subject: the user (``sub``).
            before: tokens with ``iat`` earlier than this are revoked.
            expires_at: when every such token has expired anyway.

        Raises:
            StoreUnavailableError: the store cannot be reached.
        """
        await self._cut_off(subject, before, expires_at)

    async def is_revoked(
        self,
        *,
        jti: str | None = None,
        family_id: str | None = None,
        subject: str | None = None,
        issued_at: int | None = None,
    ) -> bool:
        """Answer, in one round trip, whether any of the given facts is revoked.

        Args:
            jti: the token's ``jti``.
            family_id: the family the token belongs to.
            subject: the token's ``sub``.
            issued_at: the token's ``iat`` (with ``subject``); a missing one counts as old.

        Returns:
            ``True`` when any of them is revoked.

        Raises:
            StoreUnavailableError: the store cannot be reached.
        """
        return await self._lookup(jti, family_id, subject, issued_at)

    @abstractmethod
    async def _mark(self, kind: Mark, value: str, expires_at: int) -> None:
        """Keep a ``jti`` or ``fid`` entry until ``expires_at``."""

    @abstractmethod
    async def _cut_off(self, subject: str, before: int, expires_at: int) -> None:
        """Keep the subject's cut-off, never lowering a later one already stored."""

    @abstractmethod
    async def _lookup(
        self, jti: str | None, family_id: str | None, subject: str | None, issued_at: int | None
    ) -> bool:
        """Answer :meth:`is_revoked` in one round trip."""


def revoked(*, jti: bool, family: bool, cut_off: int | None, issued_at: int | None) -> bool:
    """Decide from what a backend found: a token entry, a family entry, a cut-off.

    Args:
        jti: an entry for the token's ``jti`` exists.
        family: an entry for its family exists.
        cut_off: the subject's cut-off, if one is stored.
        issued_at: the token's ``iat``.

    Returns:
        ``True`` when the token is revoked.
    """
    if jti or family:
        return True
    # A token without iat cannot prove it is newer than the cut-off: revoked.
    return cut_off is not None and (issued_at is None or issued_at < cut_off)
