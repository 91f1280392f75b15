"""One-time tokens for mailed links and codes: verify email, reset password, and so on.

A token is 32 random bytes (256 bits, OWASP Forgot Password Cheat Sheet); the store keeps
only an HMAC of it, so a leaked table gives no working link. Each token is bound to one
purpose and to a fingerprint of the account state it was issued against (the password
hash for a reset, the address for a verification): when that state changes, the token
dies with it. Redeeming takes the record atomically, so a token works once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Final, Literal

from gatepass.errors import ConfigurationError, OneTimeTokenError
from gatepass.mail.stores.base import OneTimeRecord, OneTimeStore
from gatepass.tokens.stores.base import Clock

__all__ = ["DEFAULT_LIFETIMES", "OneTimeTokens", "Purpose", "Redeemed", "StateOf"]

Purpose = Literal["verify_email", "reset_password", "change_email", "login_email"]
StateOf = Callable[[str], Awaitable[str | None]]
"""Returns the current state fingerprint source of a user id, or ``None`` if it is gone."""

DEFAULT_LIFETIMES: Final[Mapping[Purpose, timedelta]] = {
    "verify_email": timedelta(hours=24),
    # Short-lived: a reset link is a password (OWASP Forgot Password Cheat Sheet).
    "reset_password": timedelta(minutes=30),
    "change_email": timedelta(hours=1),
    "login_email": timedelta(minutes=15),
}
CODE_DIGITS: Final = 6


@dataclass(frozen=True, slots=True)
class Redeemed:
    """What a spent token was for: the user id and the purpose's data."""

    subject: str
    data: str


class OneTimeTokens:
    """Issues and redeems single-use tokens and codes.

    Args:
        store: where outstanding tokens wait.
        secret: at least 32 bytes; keys the stored hashes and state bindings.
        lifetimes: how long each purpose's tokens live; :data:`DEFAULT_LIFETIMES` fill gaps.
        clock: seconds since the epoch.

    Raises:
        ConfigurationError: the secret is shorter than 32 bytes.
    """

    def __init__(
        self,
        store: OneTimeStore,
        *,
        secret: bytes,
        lifetimes: Mapping[Purpose, timedelta] | None = None,
        clock: Clock = time.time,
    ) -> None:
        if len(secret) < 32:
            raise ConfigurationError("The one-time token secret needs at least 32 bytes.")
        self._store = store
        self._secret = secret
        self._lifetimes = {**DEFAULT_LIFETIMES, **(lifetimes or {})}
        self._clock = clock

    def lifetime(self, purpose: Purpose) -> timedelta:
        """How long a token of ``purpose`` lives."""
        return self._lifetimes[purpose]

    async def issue(self, purpose: Purpose, subject: str, *, state: str, data: str = "") -> str:
        """Make a token for a link and store its hash.

        Args:
            purpose: what the token may do.
            subject: the user id.
            state: the account state the token depends on (it dies when this changes).
            data: purpose-specific text returned on redemption.

        Returns:
            The token, URL-safe; it is shown once and never stored.

        Raises:
            StoreUnavailableError: the store failed.
        """
        token = secrets.token_urlsafe(32)
        await self._store.add(
            self._record(self._token_key(purpose, token), purpose, subject, state, data)
        )
        return token

    async def issue_code(
        self, purpose: Purpose, subject: str, *, state: str, data: str = ""
    ) -> str:
        """Make a 6-digit code for ``subject`` (typed, not clicked) and store its hash.

        Codes are guessable by design, so callers must throttle :meth:`redeem_code`.

        Returns:
            The code, as six digits.
        """
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        key = self._code_key(purpose, subject, code)
        await self._store.add(self._record(key, purpose, subject, state, data))
        return code

    async def redeem(self, purpose: Purpose, token: str, *, state_of: StateOf) -> Redeemed:
        """Spend a link token; every other outstanding token of that purpose dies too.

        Args:
            purpose: the purpose the caller expects; a token of another purpose fails.
            token: the token from the link.
            state_of: the current state of a user id, to check the binding.

        Returns:
            The user id and data the token was issued with.

        Raises:
            OneTimeTokenError: unknown, spent, expired, of another purpose, or stale.
            StoreUnavailableError: the store failed.
        """
        return await self._redeem(self._token_key(purpose, token), purpose, state_of)

    async def redeem_code(
        self, purpose: Purpose, subject: str, code: str, *, state_of: StateOf
    ) -> Redeemed:
        """Spend a typed code of ``subject``; the same rules as :meth:`redeem`."""
        code = code.strip()
        if len(code) != CODE_DIGITS or not code.isascii() or not code.isdigit():
            raise OneTimeTokenError()
        return await self._redeem(self._code_key(purpose, subject, code), purpose, state_of)

    async def revoke(self, purpose: Purpose, subject: str) -> None:
        """End every outstanding token and code of ``subject`` for ``purpose``."""
        await self._store.discard(purpose, subject)

    async def _redeem(self, key: str, purpose: Purpose, state_of: StateOf) -> Redeemed:
        record = await self._store.take(key)
        if record is None or record.purpose != purpose:
            raise OneTimeTokenError()
        # One use ends the others: a mailed link and its code, older reset links.
        await self._store.discard(purpose, record.subject)
        state = await state_of(record.subject)
        if state is None or not hmac.compare_digest(
            record.binding, self._binding(purpose, record.subject, state)
        ):
            raise OneTimeTokenError()
        return Redeemed(record.subject, record.data)

    def _record(
        self, key: str, purpose: Purpose, subject: str, state: str, data: str
    ) -> OneTimeRecord:
        expires_at = int(self._clock() + self._lifetimes[purpose].total_seconds())
        binding = self._binding(purpose, subject, state)
        return OneTimeRecord(key, purpose, subject, binding, data, expires_at)

    def _mac(self, *parts: str) -> str:
        message = "\x00".join(parts).encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def _token_key(self, purpose: str, token: str) -> str:
        return self._mac("gatepass.onetime.token", purpose, token)

    def _code_key(self, purpose: str, subject: str, code: str) -> str:
        return self._mac("gatepass.onetime.code", purpose, subject, code)

    def _binding(self, purpose: str, subject: str, state: str) -> str:
        return self._mac("gatepass.onetime.state", purpose, subject, state)
