"""TOTP secrets encrypted at rest: AES-256-GCM with a key id for rotation.

A stored value is ``<kid>:<base64url(nonce || ciphertext+tag)>``. The newest key
encrypts; every listed key decrypts, found by its id, so keys rotate by prepending a
new one and re-encrypting lazily. The user id is the associated data, so a ciphertext
copied to another user's row does not decrypt (OWASP ASVS 6.2.1, 6.4.1; NIST SP
800-38D for the 96-bit random nonce).
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gatepass.errors import ConfigurationError

__all__ = ["SecretBox", "parse_keys"]

_KID = re.compile(r"[A-Za-z0-9_-]{1,32}")
_NONCE = 12


class SecretBox:
    """Encrypts and decrypts short secrets bound to a user id.

    Args:
        keys: ``(kid, 32-byte key)`` pairs, newest (the one that encrypts) first.

    Raises:
        ConfigurationError: no key, a key not 32 bytes long, or a bad or repeated id.
    """

    def __init__(self, keys: Sequence[tuple[str, bytes]]) -> None:
        if not keys:
            raise ConfigurationError("SecretBox needs at least one key.")
        self._keys: dict[str, AESGCM] = {}
        for kid, key in keys:
            if not _KID.fullmatch(kid) or kid in self._keys:
                raise ConfigurationError(f"Bad or repeated MFA key id: {kid!r}.")
            if len(key) != 32:
                raise ConfigurationError("An MFA encryption key must be 32 bytes (AES-256).")
            self._keys[kid] = AESGCM(key)
        self._current = keys[0][0]

    def encrypt(self, plaintext: str, *, user_id: str) -> str:
        """Encrypt ``plaintext`` for ``user_id`` with the newest key.

        Returns:
            ``kid:ciphertext`` text for the store.
        """
        nonce = os.urandom(_NONCE)
        sealed = self._keys[self._current].encrypt(nonce, plaintext.encode(), user_id.encode())
        return f"{self._current}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt(self, stored: str, *, user_id: str) -> str:
        """Decrypt a stored value of ``user_id``.

        Raises:
            ConfigurationError: its key id is not configured, or it does not decrypt
                (wrong key, another user's row, tampered); never a wrong secret.
        """
        kid, _, body = stored.partition(":")
        aead = self._keys.get(kid)
        if aead is None:
            raise ConfigurationError(f"No MFA key with id {kid!r} is configured.")
        try:
            raw = base64.urlsafe_b64decode(body.encode())
            return aead.decrypt(raw[:_NONCE], raw[_NONCE:], user_id.encode()).decode()
        except (InvalidTag, ValueError) as exc:
            raise ConfigurationError("A stored MFA secret does not decrypt.") from exc

    def needs_rotation(self, stored: str) -> bool:
        """Whether ``stored`` was encrypted with an older key than the newest."""
        return stored.partition(":")[0] != self._current


def parse_keys(text: str) -> list[tuple[str, bytes]]:
    """Read ``kid:base64key,kid:base64key`` (newest first), as a setting holds them.

    Args:
        text: comma-separated pairs; each key 32 bytes in (URL-safe) base64.

    Returns:
        The pairs for :class:`SecretBox`.

    Raises:
        ConfigurationError: a pair cannot be read.
    """
    pairs: list[tuple[str, bytes]] = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        kid, sep, encoded = item.partition(":")
        try:
            key = base64.urlsafe_b64decode(encoded.encode() + b"=" * (-len(encoded) % 4))
        except ValueError as exc:
            raise ConfigurationError(f"MFA key {kid!r} is not base64.") from exc
        if not sep:
            raise ConfigurationError("MFA keys are written kid:base64key.")
        pairs.append((kid, key))
    return pairs
