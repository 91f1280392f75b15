"""The ``mfa_token``: proof that the password step passed, waiting for the second factor.

A token is 32 random bytes; the store keeps only an HMAC of it (a leaked store gives
no working token). It lives five minutes and is spent by the one verification that
succeeds; a wrong code puts it back until ``max_attempts`` wrong codes, after which a
new password step is needed (OWASP ASVS 2.8.1, 2.2.1). It reuses the one-time token
stores of :mod:`gatepass.mail.stores` (memory, SQLite, Redis): taking a record is
atomic there, so of two concurrent verifications one wins.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import replace
from datetime import timedelta
from typing import Final

from gatepass.errors import ConfigurationError
from gatepass.mail.stores.base import OneTimeRecord, OneTimeStore
from gatepass.mfa.totp import Clock

__all__ = ["CHALLENGE_LIFETIME", "MFAChallenges", "PendingChallenge"]

CHALLENGE_LIFETIME: Final = timedelta(minutes=5)
PURPOSE: Final = "mfa"


class PendingChallenge:
    """A taken challenge: the user it is for, and a way to put it back after a wrong code."""

    def __init__(self, owner: MFAChallenges, record: OneTimeRecord) -> None:
        self._owner = owner
        self._record = record
        self.user_id = record.subject

    def bound_to(self, state: str) -> bool:
        """Whether the account is still in the ``state`` the challenge was issued in.

        Args:
            state: the same fingerprint source given to :meth:`MFAChallenges.issue`
                (the password hash): a password changed since then ends the challenge.
        """
        return hmac.compare_digest(self._record.binding, self._owner._binding(state))

    async def put_back(self) -> bool:
        """Return the challenge for another try, unless its attempts are used up.

        Returns:
            ``True`` when it can be used again.
        """
        return await self._owner._put_back(self._record)


class MFAChallenges:
    """Issues and takes ``mfa_token`` values.

    Args:
        store: a one-time token store.
        secret: at least 32 bytes; keys the stored hashes.
        lifetime: how long a token lives.
        max_attempts: wrong codes one token survives.
        clock: seconds since the epoch.
        purpose: keeps these tokens apart from other kinds in the same store.

    Raises:
        ConfigurationError: the secret is shorter than 32 bytes.
    """

    def __init__(
        self,
        store: OneTimeStore,
        *,
        secret: bytes,
        lifetime: timedelta = CHALLENGE_LIFETIME,
        max_attempts: int = 5,
        clock: Clock = time.time,
        purpose: str = PURPOSE,
    ) -> None:
        if len(secret) < 32:
            raise ConfigurationError("The MFA challenge secret needs at least 32 bytes.")
        self._store = store
        self._secret = secret
        self._lifetime = lifetime
        self._max_attempts = max_attempts
        self._clock = clock
        self._purpose = purpose

    @property
    def lifetime(self) -> timedelta:
        """How long a challenge lives."""
        return self._lifetime

    async def issue(self, user_id: str, *, state: str = "") -> str:
        """A new token for ``user_id``, whose password was just verified.

        Args:
            user_id: the user.
            state: account state the token depends on (the password hash); check it
                with :meth:`PendingChallenge.bound_to`.

        Returns:
            The token, URL-safe; shown once, never stored.

        Raises:
            StoreUnavailableError: the store failed.
        """
        token = secrets.token_urlsafe(32)
        expires_at = int(self._clock() + self._lifetime.total_seconds())
        binding = self._binding(state)
        await self._store.add(
            OneTimeRecord(self._key(token), self._purpose, user_id, binding, "0", expires_at)
        )
        return token

    async def take(self, token: str) -> PendingChallenge | None:
        """Take a live token out of the store.

        Args:
            token: the ``mfa_token`` the client sent.

        Returns:
            The pending challenge, or ``None`` when the token is unknown, spent or expired.

        Raises:
            StoreUnavailableError: the store failed.
        """
        if not token or len(token) > 256:
            return None
        record = await self._store.take(self._key(token))
        # The store returns no expired record.
        if record is None or record.purpose != self._purpose:
            return None
        return PendingChallenge(self, record)

    async def _put_back(self, record: OneTimeRecord) -> bool:
        attempts = int(record.data or "0") + 1
        if attempts >= self._max_attempts or record.expires_at <= self._clock():
            return False
        await self._store.add(replace(record, data=str(attempts)))
        return True

    def _binding(self, state: str) -> str:
        message = f"gatepass.mfa.challenge.state\x00{state}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def derived(self, token: str, label: str) -> bytes:
        """32 bytes derived from a token, such as a WebAuthn challenge tied to it.

        Args:
            token: an issued token.
            label: what the bytes are for.
        """
        message = f"gatepass.mfa.derived\x00{self._purpose}\x00{label}\x00{token}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).digest()

    def _key(self, token: str) -> str:
        message = f"gatepass.mfa.challenge\x00{self._purpose}\x00{token}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()
