"""argon2id password hashing: the one module that calls ``argon2-cffi``.

Default parameters are the OWASP Password Storage Cheat Sheet's first argon2id
configuration, "m=19456 (19 MiB), t=2, p=1": the minimum it recommends, and cheap
enough that a 2-core server still answers logins in tens of milliseconds. RFC 9106
§4's second recommended option (the "low memory" profile argon2-cffi uses by default:
m=64 MiB, t=3, p=4) is ``RFC9106_LOW_MEMORY``; pass it, or your own, to
``PasswordHasher``. Hashes made under older parameters still verify, and
``needs_rehash`` says when to upgrade them (argon2-cffi's ``check_needs_rehash``).

Passwords are Unicode-normalized (NFKC) before hashing, as NIST SP 800-63B
§5.1.1.2 advises, so the same password typed on two keyboards verifies. A password
longer than ``MAX_PASSWORD_CHARS`` as typed is refused before normalizing it, since
NFKC can grow a character eighteen-fold (OWASP Password Storage Cheat Sheet,
"Maximum password lengths"); text that UTF-8 cannot encode (a lone surrogate from a
JSON body) is never a match.
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass

import anyio.to_thread
import argon2
from argon2.exceptions import InvalidHashError, UnsupportedParametersError, VerificationError

from gatepass.audit.tracing import SPAN_PASSWORD_HASH, SPAN_PASSWORD_VERIFY, span
from gatepass.errors import ConfigurationError, PasswordPolicyError

# Characters as typed; well above the policy's 256 bytes, far below a costly input.
MAX_PASSWORD_CHARS = 1024


@dataclass(frozen=True, slots=True)
class Argon2Parameters:
    """Cost parameters of argon2id.

    Args:
        time_cost: passes over memory (t).
        memory_cost: memory in KiB (m).
        parallelism: lanes (p).
        hash_len: bytes of output.
        salt_len: bytes of random salt.
    """

    time_cost: int
    memory_cost: int
    parallelism: int
    hash_len: int = 32
    salt_len: int = 16


# OWASP Password Storage Cheat Sheet, "Argon2id": m=19456 KiB, t=2, p=1.
OWASP_MINIMUM = Argon2Parameters(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# RFC 9106 §4, second recommended option (argon2-cffi's default "low memory" profile).
RFC9106_LOW_MEMORY = Argon2Parameters(time_cost=3, memory_cost=64 * 1024, parallelism=4)


class PasswordHasher:
    """Hash and verify passwords with argon2id.

    ``dummy_hash`` is a hash of a random password with the same parameters: verifying
    against it costs what verifying a real user's hash costs, so a login for an
    unknown email takes as long as one for a known email (OWASP ASVS 2.2 / user
    enumeration; OWASP Authentication Cheat Sheet, "Authentication and Error
    Messages").

    Args:
        parameters: cost parameters; ``OWASP_MINIMUM`` by default.

    Raises:
        ConfigurationError: the parameters are out of argon2's range.
    """

    def __init__(self, parameters: Argon2Parameters = OWASP_MINIMUM) -> None:
        self.parameters = parameters
        try:
            self._argon2 = argon2.PasswordHasher(
                time_cost=parameters.time_cost,
                memory_cost=parameters.memory_cost,
                parallelism=parameters.parallelism,
                hash_len=parameters.hash_len,
                salt_len=parameters.salt_len,
                type=argon2.Type.ID,
            )
            # Made once per hasher, here, so the first unknown-user login costs no more
            # than later ones; argon2-cffi also checks the parameters only when hashing.
            self.dummy_hash = self._argon2.hash(secrets.token_urlsafe(32))
        except (ValueError, argon2.exceptions.HashingError) as exc:
            raise ConfigurationError(f"Unusable argon2 parameters {parameters}: {exc}") from exc

    def hash(self, password: str) -> str:
        """Hash a password with a fresh random salt.

        Args:
            password: the password in clear.

        Returns:
            The PHC string (``$argon2id$v=19$m=...,t=...,p=...$salt$hash``).

        Raises:
            PasswordPolicyError: the password is longer than ``MAX_PASSWORD_CHARS`` or
                holds text UTF-8 cannot encode; it could never be verified (422).
        """
        normal = _normalize(password)
        if normal is None:
            raise PasswordPolicyError(
                reasons=["The password is too long or holds characters that cannot be used."]
            )
        with span(SPAN_PASSWORD_HASH):
            return self._argon2.hash(normal)

    def verify(self, password_hash: str, password: str) -> bool:
        """Check a password against a stored hash.

        Args:
            password_hash: the stored PHC string.
            password: the password in clear.

        Returns:
            ``True`` when they match. ``False`` on a mismatch and also when the stored
            text is no argon2 hash at all, or the password is over-long or cannot be
            encoded: refusing is the safe answer.
        """
        if len(password) > MAX_PASSWORD_CHARS:
            # Refused by length alone, which says nothing about the account.
            return False
        normal = _normalize(password)
        candidate: str | bytes = normal if normal is not None else _stand_in(password)
        try:
            with span(SPAN_PASSWORD_VERIFY):
                matched = self._argon2.verify(password_hash, candidate)
        except (VerificationError, InvalidHashError, UnsupportedParametersError):
            return False
        # An unencodable password still costs one full argon2 check against the same
        # hash, so its answer takes as long as any other (OWASP ASVS 4.0.3 V2.2 /
        # user enumeration), and it is never a match.
        return matched and normal is not None

    def needs_rehash(self, password_hash: str) -> bool:
        """Say whether a hash was made with other parameters than this hasher's.

        Args:
            password_hash: a stored PHC string.

        Returns:
            ``True`` when it should be replaced by ``hash(password)`` on the next
            successful login (also for text that is no argon2 hash).
        """
        try:
            return self._argon2.check_needs_rehash(password_hash)
        except (InvalidHashError, ValueError):
            return True

    async def hash_async(self, password: str) -> str:
        """``hash`` in a worker thread, so other requests keep being served.

        Args:
            password: the password in clear.

        Returns:
            The PHC string.
        """
        return await anyio.to_thread.run_sync(self.hash, password)

    async def verify_async(self, password_hash: str, password: str) -> bool:
        """``verify`` in a worker thread, so other requests keep being served.

        Args:
            password_hash: the stored PHC string.
            password: the password in clear.

        Returns:
            ``True`` when they match.
        """
        return await anyio.to_thread.run_sync(self.verify, password_hash, password)


def _normalize(password: str) -> str | None:
    """NFKC of a password, or ``None`` when it is too long or not encodable as UTF-8."""
    if len(password) > MAX_PASSWORD_CHARS:
        return None
    normal = unicodedata.normalize("NFKC", password)
    try:
        normal.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return normal


def _stand_in(password: str) -> bytes:
    # Lone surrogates kept as bytes that are not valid UTF-8, so they can never equal
    # a hashed password's encoding; they only make argon2 do its usual work.
    return password.encode("utf-8", "surrogatepass")
