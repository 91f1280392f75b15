"""``VerifiedTokenCache``: skip re-verifying the same token, never past its ``exp``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, NamedTuple

import orjson

from gatepass.errors import ConfigurationError

from .durations import Duration, to_seconds
from .keys import Key

__all__ = ["VerifiedTokenCache"]


class CachedToken(NamedTuple):
    """A verified token's payload, deadline, the key and header it verified with, and
    the revocation version at which it was last found not revoked (``None``: unknown)."""

    payload: bytes
    valid_until: float
    key: Key
    header: dict[str, Any]
    unrevoked_at: int | None = None

    def claims(self) -> dict[str, Any]:
        """The claims, parsed afresh: nothing a caller changes reaches the cache."""
        claims: dict[str, Any] = orjson.loads(self.payload)
        return claims


class VerifiedTokenCache:
    """A bounded, time-limited map from a full token string to its verified claims.

    The key is the whole token, signature included, so a token with altered
    signature bytes never hits. Each entry stops at the earliest of the token's
    ``exp`` (plus leeway), ``iat + max_age`` and the cache TTL; the owner checks
    it on every hit. Revocation is not cached: the ``Verifier`` asks on every call.
    One cache serves one ``Verifier`` (its policy is part of what was checked).
    It keeps the payload bytes, not the claims, so every hit hands out new objects:
    a caller changing nested claims cannot change what the next request sees.
    """

    __slots__ = ("_entries", "_owner", "max_size", "ttl")

    def __init__(self, *, max_size: int = 10_000, ttl: Duration = timedelta(minutes=5)) -> None:
        """Make an empty cache.

        Args:
            max_size: the most tokens kept; the oldest entry leaves first.
            ttl: the longest a verified token is trusted without a full check.

        Raises:
            ConfigurationError: ``max_size`` under 1 or a non-positive ``ttl``.
            DurationError: ``ttl`` is not a duration.
        """
        if max_size < 1:
            raise ConfigurationError("VerifiedTokenCache max_size must be at least 1.")
        self.ttl = to_seconds(ttl)
        if self.ttl <= 0:
            raise ConfigurationError("VerifiedTokenCache ttl must be positive.")
        self.max_size = max_size
        self._entries: dict[str | bytes, CachedToken] = {}
        self._owner: object | None = None

    def bind(self, owner: object) -> None:
        """Attach the cache to its one verifier.

        Raises:
            ConfigurationError: it already serves another verifier.
        """
        if self._owner is not None and self._owner is not owner:
            raise ConfigurationError(
                "This VerifiedTokenCache already serves another Verifier; give each "
                "Verifier its own cache (their policies differ)."
            )
        self._owner = owner

    def get(self, token: str | bytes, now: float) -> CachedToken | None:
        """The live entry for this exact token, or ``None`` (expired ones are dropped)."""
        entry = self._entries.get(token)
        if entry is None:
            return None
        if now >= entry.valid_until:
            self._entries.pop(token, None)
            return None
        return entry

    def put(
        self,
        token: str | bytes,
        payload: bytes,
        deadline: float,
        key: Key,
        now: float,
        header: dict[str, Any],
        unrevoked_at: int | None = None,
    ) -> None:
        """Remember a token verified at ``now`` that passes its checks until ``deadline``.

        Args:
            token: the whole token.
            payload: its verified payload bytes (JSON claims).
            deadline: when its time checks stop passing.
            key: the key that verified it.
            now: the verification time.
            header: its protected header (a key resolver is asked again on a hit).
            unrevoked_at: the revocation version at which it was found not revoked.
        """
        entries = self._entries
        if token not in entries and len(entries) >= self.max_size:
            del entries[next(iter(entries))]
        entries[token] = CachedToken(
            payload, min(deadline, now + self.ttl), key, header, unrevoked_at
        )

    def mark_unrevoked(self, token: str | bytes, hit: CachedToken, version: int) -> None:
        """Record that a cached token was found not revoked at ``version``.

        Args:
            token: the whole token.
            hit: its entry, as :meth:`get` returned it.
            version: the revocation version read before the check.
        """
        if self._entries.get(token) is hit:
            self._entries[token] = hit._replace(unrevoked_at=version)

    def discard(self, token: str | bytes) -> None:
        """Forget one token (e.g. it was just revoked)."""
        self._entries.pop(token, None)

    def clear(self) -> None:
        """Forget every token (e.g. after retiring a key)."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
