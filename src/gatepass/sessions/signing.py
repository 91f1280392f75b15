"""Signed session ids for the cookie: ``<id>.<hmac>``, keys as a list for rotation.

The cookie carries only a random id; the signature lets the middleware drop forged or
guessed ids before touching the store. Keys follow itsdangerous: the last key signs,
every key verifies, so a new key can be appended and an old one retired later.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence

from gatepass.errors import ConfigurationError

SESSION_SALT = "gatepass.session"
# RFC 2104 §3: keys shorter than the hash output (32 bytes for SHA-256) weaken HMAC.
MIN_KEY_BYTES = 32
# 32 random bytes = 256 bits, above the 64-bit entropy floor of OWASP ASVS 3.2.2 and
# the 128 bits the OWASP Session Management Cheat Sheet recommends.
ID_BYTES = 32


def new_session_id() -> str:
    """Mint a fresh random session id (256 bits from :mod:`secrets`).

    Returns:
        A URL-safe text id.
    """
    return secrets.token_urlsafe(ID_BYTES)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class CookieSigner:
    """Sign and verify session ids with HMAC-SHA256 under a per-purpose salt.

    Args:
        keys: secret keys, oldest first; the last one signs, all of them verify.
        salt: the purpose the keys are derived for, so one secret can serve several
            purposes without a signature for one being valid for another.

    Raises:
        ConfigurationError: no key was given, or a key is shorter than 32 bytes.
    """

    def __init__(self, keys: Sequence[str | bytes], *, salt: str = SESSION_SALT) -> None:
        if isinstance(keys, str | bytes) or not keys:
            raise ConfigurationError(
                "Session signing needs a list of secret keys, e.g. "
                "secret_keys=[secrets.token_urlsafe(32)]; the last key signs."
            )
        raw = [key.encode() if isinstance(key, str) else bytes(key) for key in keys]
        if any(len(key) < MIN_KEY_BYTES for key in raw):
            raise ConfigurationError(
                f"Every session signing key must be at least {MIN_KEY_BYTES} bytes "
                "(RFC 2104 §3); generate one with secrets.token_urlsafe(32)."
            )
        # Derive one key per purpose (itsdangerous' "salt"): HMAC(secret, salt).
        self._keys = [hmac.new(key, salt.encode(), hashlib.sha256).digest() for key in raw]

    def _signature(self, key: bytes, value: str) -> str:
        return _b64(hmac.new(key, value.encode("ascii"), hashlib.sha256).digest())

    def sign(self, session_id: str) -> str:
        """Return the cookie value for a session id, signed with the newest key.

        Args:
            session_id: an id from :func:`new_session_id`.

        Returns:
            ``"<id>.<signature>"``.
        """
        return f"{session_id}.{self._signature(self._keys[-1], session_id)}"

    def unsign(self, cookie_value: str) -> str | None:
        """Return the session id if any key signed it, else ``None`` (never raises).

        Args:
            cookie_value: the raw cookie value from the request.

        Returns:
            The session id, or ``None`` for a tampered, forged or malformed value.
        """
        session_id, dot, signature = cookie_value.rpartition(".")
        if not dot or not session_id or not session_id.isascii() or not signature.isascii():
            return None
        valid = False
        for key in self._keys:
            # Constant-time comparison so timing does not leak the signature.
            valid |= hmac.compare_digest(self._signature(key, session_id), signature)
        if not valid:
            return None
        return session_id
