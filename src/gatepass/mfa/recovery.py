"""Recovery codes: ten single-use codes, stored as keyed hashes.

A code is 50 random bits from ``secrets`` (ten base32 characters, shown as two groups
of five). With that much entropy a slow password hash adds cost and no safety, so the
store keeps an HMAC-SHA256 under a server key instead of argon2: a leaked table
without the key yields no usable code (OWASP ASVS 2.6.2, 2.6.3), and checking a code
is one hash, not ten argon2 runs.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Final

__all__ = ["RECOVERY_CODE_COUNT", "RecoveryCodes"]

RECOVERY_CODE_COUNT: Final = 10
_ALPHABET: Final = "abcdefghijklmnopqrstuvwxyz234567"
_LENGTH: Final = 10


class RecoveryCodes:
    """Makes recovery codes and their keyed hashes.

    Args:
        key: at least 32 bytes; the HMAC key of the stored hashes.

    Raises:
        ValueError: the key is shorter than 32 bytes.
    """

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("The recovery code key needs at least 32 bytes.")
        self._key = key

    def generate(self, count: int = RECOVERY_CODE_COUNT) -> list[str]:
        """New random codes, formatted ``xxxxx-xxxxx``.

        Args:
            count: how many.

        Returns:
            The codes, to show once.
        """
        codes = []
        for _ in range(count):
            raw = "".join(secrets.choice(_ALPHABET) for _ in range(_LENGTH))
            codes.append(f"{raw[:5]}-{raw[5:]}")
        return codes

    def hash(self, user_id: str, code: str) -> str:
        """The stored form of ``code`` for ``user_id``; typed forms (case, dashes) agree.

        Args:
            user_id: the owner; a code of one user is no code of another.
            code: the code as typed.

        Returns:
            64 hex characters.
        """
        normal = "".join(code.split()).replace("-", "").lower()
        message = f"gatepass.mfa.recovery\x00{user_id}\x00{normal}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    @staticmethod
    def looks_like(code: str) -> bool:
        """Whether ``code`` has the shape of a recovery code (not of a TOTP code)."""
        normal = "".join(code.split()).replace("-", "").lower()
        return len(normal) == _LENGTH and all(char in _ALPHABET for char in normal)
