"""``TOTPFactor``: set up, confirm, verify and remove a user's TOTP second factor.

The library face of :mod:`gatepass.mfa`: it ties the TOTP maths, the encrypted secret,
the recovery codes, the replay rule and the per-account throttle to an ``MFAStore``.
Any Starlette or FastAPI app can use it with its own stores; the reference server does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Final, Literal

from limits.aio.storage import Storage

from gatepass.errors import InvalidMFACodeError, MFAStateError
from gatepass.mfa.encryption import SecretBox
from gatepass.mfa.recovery import RecoveryCodes
from gatepass.mfa.store import MFAStore
from gatepass.mfa.totp import Clock, match_step, new_secret, otpauth_uri
from gatepass.security.ratelimit import RateLimiter

__all__ = ["MFA_LIMIT", "Method", "TOTPFactor", "TOTPSetup"]

Method = Literal["totp", "recovery_code"]
MFA_LIMIT: Final = "mfa"


@dataclass(frozen=True, slots=True)
class TOTPSetup:
    """A secret waiting for its first code: show it (and its QR code) once."""

    secret: str
    otpauth_uri: str


class TOTPFactor:
    """TOTP with recovery codes over an ``MFAStore``.

    Args:
        store: where factors live.
        box: encrypts secrets at rest.
        recovery: hashes recovery codes.
        issuer: the name authenticator apps show.
        limits: rate-limit storage for the per-account throttle.
        rate: attempts allowed per account; every code checked counts.
        clock: seconds since the epoch (TOTP time steps; not the throttle window).
    """

    def __init__(
        self,
        store: MFAStore,
        *,
        box: SecretBox,
        recovery: RecoveryCodes,
        issuer: str,
        limits: Storage,
        rate: str = "10/15 minutes",
        clock: Clock = time.time,
    ) -> None:
        self.store = store
        self._box = box
        self._recovery = recovery
        self._issuer = issuer
        # RFC 4226 §7.3 / RFC 6238 §5.2: a 6-digit code needs a throttle; counted per
        # account from every address, so spreading guesses over addresses gains nothing
        # (OWASP ASVS 2.2.1, CWE-307).
        self._limiter = RateLimiter(limits, {MFA_LIMIT: rate}, namespace="gatepass-mfa")
        self._clock = clock

    async def enabled(self, user_id: str) -> bool:
        """Whether ``user_id`` has a confirmed TOTP factor.

        Raises:
            StoreUnavailableError: the store cannot be reached.
        """
        record = await self.store.get_totp(user_id)
        return record is not None and record.confirmed

    async def begin(self, user_id: str, *, account: str) -> TOTPSetup:
        """Make a new secret for ``user_id``; it works only after :meth:`confirm`.

        Args:
            user_id: the user.
            account: the name the authenticator app shows (the email).

        Returns:
            The secret and its ``otpauth://`` URI.

        Raises:
            MFAStateError: TOTP is already on (turn it off first).
            StoreUnavailableError: the store cannot be reached.
        """
        secret = new_secret()
        if not await self.store.begin_totp(user_id, self._box.encrypt(secret, user_id=user_id)):
            raise MFAStateError("Two-step verification is already on.")
        return TOTPSetup(secret, otpauth_uri(secret, account=account, issuer=self._issuer))

    async def pending(self, user_id: str, *, account: str) -> TOTPSetup | None:
        """The setup begun and not yet confirmed, to show again (a page reload).

        Raises:
            StoreUnavailableError: the store cannot be reached.
        """
        record = await self.store.get_totp(user_id)
        if record is None or record.confirmed:
            return None
        secret = self._box.decrypt(record.secret, user_id=user_id)
        return TOTPSetup(secret, otpauth_uri(secret, account=account, issuer=self._issuer))

    async def confirm(self, user_id: str, code: str) -> list[str]:
        """Turn TOTP on with a first code from the app; make new recovery codes.

        Args:
            user_id: the user.
            code: the app's current code.

        Returns:
            Ten recovery codes, shown once; only their hashes are kept.

        Raises:
            MFAStateError: there is no setup waiting (or it is already on).
            InvalidMFACodeError: the code does not match.
            RateLimitedError: too many attempts for this account.
            StoreUnavailableError: a store cannot be reached.
        """
        record = await self.store.get_totp(user_id)
        if record is None or record.confirmed:
            raise MFAStateError("There is no two-step setup waiting for a code.")
        await self._limiter.hit(MFA_LIMIT, user_id)
        secret = self._box.decrypt(record.secret, user_id=user_id)
        step = match_step(secret, code, clock=self._clock)
        if step is None:
            raise InvalidMFACodeError()
        codes = self._recovery.generate()
        hashes = [self._recovery.hash(user_id, code) for code in codes]
        if not await self.store.confirm_totp(user_id, step, hashes):
            raise MFAStateError("There is no two-step setup waiting for a code.")
        await self._limiter.reset(MFA_LIMIT, user_id)
        return codes

    async def verify(self, user_id: str, code: str) -> Method:
        """Check a second-factor code: a TOTP code once per time step, a recovery code once.

        Args:
            user_id: the user whose password step passed.
            code: a 6-digit TOTP code or a recovery code.

        Returns:
            Which kind of code was accepted.

        Raises:
            InvalidMFACodeError: wrong, replayed, or already-used code, or no factor.
            RateLimitedError: too many attempts for this account.
            StoreUnavailableError: a store cannot be reached.
        """
        await self._limiter.hit(MFA_LIMIT, user_id)
        method = await self._check(user_id, code)
        if method is None:
            raise InvalidMFACodeError()
        await self._limiter.reset(MFA_LIMIT, user_id)
        return method

    async def disable(self, user_id: str, code: str) -> None:
        """Turn TOTP off, proved by a current code (or a recovery code).

        Raises:
            MFAStateError: TOTP is not on.
            InvalidMFACodeError: the code does not match.
            RateLimitedError: too many attempts for this account.
            StoreUnavailableError: a store cannot be reached.
        """
        if not await self.enabled(user_id):
            raise MFAStateError("Two-step verification is not on.")
        await self.verify(user_id, code)
        await self.store.remove_totp(user_id)

    async def recovery_codes_left(self, user_id: str) -> int:
        """How many unused recovery codes ``user_id`` has."""
        return await self.store.count_recovery_codes(user_id)

    async def _check(self, user_id: str, code: str) -> Method | None:
        record = await self.store.get_totp(user_id)
        if record is None or not record.confirmed:
            return None
        if RecoveryCodes.looks_like(code):
            spent = await self.store.use_recovery_code(user_id, self._recovery.hash(user_id, code))
            return "recovery_code" if spent else None
        secret = self._box.decrypt(record.secret, user_id=user_id)
        step = match_step(secret, code, clock=self._clock)
        # The store accepts each step once, atomically: a code seen by someone else
        # (shoulder, phishing relay) cannot be replayed in its window (RFC 6238 §5.2).
        if step is None or not await self.store.accept_step(user_id, step):
            return None
        return "totp"
