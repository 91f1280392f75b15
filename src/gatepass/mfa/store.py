"""The ``MFAStore`` protocol: each user's TOTP state and recovery-code hashes.

Every write that decides a security question is one atomic step in the store:
confirming a setup, accepting a time step (so two concurrent uses of one code cannot
both pass, RFC 6238 §5.2), spending a recovery code. The memory store runs on one
event loop with no ``await`` between check and write; the SQL store puts the check in
the statement's ``WHERE``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol, runtime_checkable

__all__ = ["MFAStore", "MemoryMFAStore", "TOTPRecord"]


@dataclass(frozen=True, slots=True)
class TOTPRecord:
    """A user's TOTP factor.

    Attributes:
        secret: the encrypted secret (``kid:ciphertext``), never the plain one.
        confirmed: a first code proved the app has it; only then is the factor on.
        last_step: the newest time step accepted, or ``None``.
    """

    secret: str
    confirmed: bool
    last_step: int | None


@runtime_checkable
class MFAStore(Protocol):
    """Where second factors live. Every method may raise ``StoreUnavailableError``."""

    async def get_totp(self, user_id: str) -> TOTPRecord | None:
        """The user's TOTP record, or ``None``."""
        ...

    async def begin_totp(self, user_id: str, secret: str) -> bool:
        """Store an unconfirmed secret, replacing an unconfirmed one.

        Returns:
            ``False`` (nothing written) when a confirmed factor exists.
        """
        ...

    async def confirm_totp(self, user_id: str, step: int, code_hashes: Sequence[str]) -> bool:
        """Turn the factor on at ``step`` and replace the recovery codes, atomically.

        Returns:
            ``False`` when there is no unconfirmed secret (nothing written).
        """
        ...

    async def accept_step(self, user_id: str, step: int) -> bool:
        """Record ``step`` as used if it is newer than the last one used.

        Returns:
            ``False`` when ``step`` is not newer (a replay) or no factor is on.
        """
        ...

    async def use_recovery_code(self, user_id: str, code_hash: str) -> bool:
        """Remove a recovery code; ``True`` only for the one call that removed it."""
        ...

    async def count_recovery_codes(self, user_id: str) -> int:
        """How many unused recovery codes the user has."""
        ...

    async def remove_totp(self, user_id: str) -> bool:
        """Remove the factor and its recovery codes; ``True`` when there was one."""
        ...


class MemoryMFAStore:
    """An ``MFAStore`` in dicts; state lives and dies with the instance."""

    def __init__(self) -> None:
        self._totp: dict[str, TOTPRecord] = {}
        self._codes: dict[str, set[str]] = {}

    async def get_totp(self, user_id: str) -> TOTPRecord | None:
        """See ``MFAStore``."""
        return self._totp.get(user_id)

    async def begin_totp(self, user_id: str, secret: str) -> bool:
        """See ``MFAStore``."""
        current = self._totp.get(user_id)
        if current is not None and current.confirmed:
            return False
        self._totp[user_id] = TOTPRecord(secret=secret, confirmed=False, last_step=None)
        return True

    async def confirm_totp(self, user_id: str, step: int, code_hashes: Sequence[str]) -> bool:
        """See ``MFAStore``."""
        current = self._totp.get(user_id)
        if current is None or current.confirmed:
            return False
        self._totp[user_id] = replace(current, confirmed=True, last_step=step)
        self._codes[user_id] = set(code_hashes)
        return True

    async def accept_step(self, user_id: str, step: int) -> bool:
        """See ``MFAStore``."""
        current = self._totp.get(user_id)
        if current is None or not current.confirmed:
            return False
        if current.last_step is not None and step <= current.last_step:
            return False
        self._totp[user_id] = replace(current, last_step=step)
        return True

    async def use_recovery_code(self, user_id: str, code_hash: str) -> bool:
        """See ``MFAStore``."""
        codes = self._codes.get(user_id, set())
        if code_hash not in codes:
            return False
        codes.discard(code_hash)
        return True

    async def count_recovery_codes(self, user_id: str) -> int:
        """See ``MFAStore``."""
        return len(self._codes.get(user_id, ()))

    async def remove_totp(self, user_id: str) -> bool:
        """See ``MFAStore``."""
        self._codes.pop(user_id, None)
        return self._totp.pop(user_id, None) is not None
