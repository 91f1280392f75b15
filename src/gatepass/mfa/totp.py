"""TOTP (RFC 6238) on pyotp: a new secret, its ``otpauth://`` URI, and matching a code.

Matching accepts the current 30-second step and one step either side (RFC 6238 §5.2:
"at most one time step" of network delay and clock drift) and answers *which* step
matched, so the caller can refuse a code from a step already used (replay).
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from typing import Final

import pyotp

__all__ = [
    "DIGITS",
    "INTERVAL",
    "WINDOW",
    "Clock",
    "code_at",
    "match_step",
    "new_secret",
    "otpauth_uri",
]

Clock = Callable[[], float]
"""Returns seconds since the epoch; ``time.time`` unless a test passes its own."""

DIGITS: Final = 6
INTERVAL: Final = 30
WINDOW: Final = 1


def new_secret() -> str:
    """A random base32 secret of 160 bits, the length RFC 4226 §4 recommends.

    Returns:
        32 base32 characters (``secrets``-backed).
    """
    return pyotp.random_base32(length=32)


def otpauth_uri(secret: str, *, account: str, issuer: str) -> str:
    """The ``otpauth://totp/...`` URI an authenticator app reads from a QR code.

    Args:
        secret: the base32 secret.
        account: the account name shown in the app (the email).
        issuer: the site name shown in the app.

    Returns:
        The URI, with ``secret``, ``issuer``, ``digits`` and ``period`` parameters.
    """
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).provisioning_uri(
        name=account, issuer_name=issuer
    )


def code_at(secret: str, at: float) -> str:
    """The code of ``secret`` at epoch second ``at`` (what an authenticator app shows).

    Args:
        secret: the base32 secret.
        at: seconds since the epoch.

    Returns:
        Six digits.
    """
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).at(int(at))


def match_step(
    secret: str, code: str, *, clock: Clock = time.time, window: int = WINDOW
) -> int | None:
    """The time step whose code is ``code``, within ``window`` steps of now.

    Args:
        secret: the base32 secret.
        code: what the user typed; spaces are ignored.
        clock: seconds since the epoch.
        window: how many steps before and after now are accepted.

    Returns:
        The matching step number (``floor(t / 30)``), or ``None``.
    """
    code = code.replace(" ", "").strip()
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL)
    now = int(clock()) // INTERVAL
    found: int | None = None
    # Every candidate is compared, in constant time, so timing says nothing (CWE-208).
    for step in range(now - window, now + window + 1):
        if hmac.compare_digest(totp.generate_otp(step), code) and found is None:
            found = step
    return found
