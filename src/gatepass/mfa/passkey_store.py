"""Passkeys (WebAuthn credentials) at rest: the record, the ``PasskeyStore`` protocol, memory.

The sign count is moved by compare-and-set, so two concurrent uses of one credential
cannot both move it from the same value (a cloned authenticator shows up as a count
that does not grow, W3C WebAuthn Level 3 §6.1.1).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol, runtime_checkable

__all__ = ["MemoryPasskeyStore", "Passkey", "PasskeyStore"]


@dataclass(frozen=True, slots=True)
class Passkey:
    """One registered credential of a user.

    Attributes:
        credential_id: the authenticator's id of the credential.
        user_id: its owner.
        public_key: the COSE public key.
        sign_count: the last signature counter seen (0 when the authenticator keeps none).
        transports: how the browser reaches it (``internal``, ``usb``, ``hybrid``...).
        backup_eligible: a multi-device (synced) credential.
        backed_up: currently backed up (synced).
        aaguid: the authenticator model's id.
        name: the user's label.
        created_at: when it was registered.
    """

    credential_id: bytes
    user_id: str
    public_key: bytes
    sign_count: int
    transports: tuple[str, ...]
    backup_eligible: bool
    backed_up: bool
    aaguid: str
    name: str
    created_at: datetime


@runtime_checkable
class PasskeyStore(Protocol):
    """Where passkeys live. Every method may raise ``StoreUnavailableError``."""

    async def add_passkey(self, passkey: Passkey) -> bool:
        """Store a new credential; ``False`` when its id is already registered."""
        ...

    async def find_passkey(self, credential_id: bytes) -> Passkey | None:
        """The credential with this id, or ``None``."""
        ...

    async def list_passkeys(self, user_id: str) -> list[Passkey]:
        """A user's credentials, oldest first."""
        ...

    async def record_use(
        self, credential_id: bytes, *, expected_count: int, new_count: int, backed_up: bool
    ) -> bool:
        """Move the sign count from ``expected_count``; ``False`` when it had moved."""
        ...

    async def rename_passkey(self, user_id: str, credential_id: bytes, name: str) -> bool:
        """Relabel one of the user's credentials; ``False`` when it is not theirs."""
        ...

    async def remove_passkey(self, user_id: str, credential_id: bytes) -> bool:
        """Remove one of the user's credentials; ``False`` when it is not theirs."""
        ...


class MemoryPasskeyStore:
    """A ``PasskeyStore`` in a dict; state lives and dies with the instance."""

    def __init__(self) -> None:
        self._by_id: dict[bytes, Passkey] = {}

    async def add_passkey(self, passkey: Passkey) -> bool:
        """See ``PasskeyStore``."""
        if passkey.credential_id in self._by_id:
            return False
        self._by_id[passkey.credential_id] = passkey
        return True

    async def find_passkey(self, credential_id: bytes) -> Passkey | None:
        """See ``PasskeyStore``."""
        return self._by_id.get(credential_id)

    async def list_passkeys(self, user_id: str) -> list[Passkey]:
        """See ``PasskeyStore``."""
        mine = [key for key in self._by_id.values() if key.user_id == user_id]
        return sorted(mine, key=lambda key: (key.created_at, key.credential_id))

    async def record_use(
        self, credential_id: bytes, *, expected_count: int, new_count: int, backed_up: bool
    ) -> bool:
        """See ``PasskeyStore``."""
        current = self._by_id.get(credential_id)
        if current is None or current.sign_count != expected_count:
            return False
        self._by_id[credential_id] = replace(current, sign_count=new_count, backed_up=backed_up)
        return True

    async def rename_passkey(self, user_id: str, credential_id: bytes, name: str) -> bool:
        """See ``PasskeyStore``."""
        current = self._by_id.get(credential_id)
        if current is None or current.user_id != user_id:
            return False
        self._by_id[credential_id] = replace(current, name=name)
        return True

    async def remove_passkey(self, user_id: str, credential_id: bytes) -> bool:
        """See ``PasskeyStore``."""
        current = self._by_id.get(credential_id)
        if current is None or current.user_id != user_id:
            return False
        del self._by_id[credential_id]
        return True
