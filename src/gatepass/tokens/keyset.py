"""``KeySet``: several keys, one current signer, rotation by ``kid``, JWKS in and out."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from gatepass.errors import InvalidKeyError, UnknownKeyError

from ._echo import echo
from .algorithms import Algorithm
from .keys import Key

__all__ = ["KeySet"]


class KeySet:
    """Keys selected by ``kid``: the current one signs, all of them verify.

    Rotation: :meth:`rotate` adds a new key and makes it the signer while the old
    ones keep verifying until :meth:`retire` removes them (itsdangerous' key list).
    Symmetric and asymmetric keys never share a set (RFC 8725 §2.1: a set that
    holds both invites algorithm confusion; Wycheproof flags it ``MixedKeySet``).
    """

    __slots__ = ("_current", "_keys", "generation")

    def __init__(self, keys: Iterable[Key] = (), *, current: str | None = None) -> None:
        """Collect keys.

        Args:
            keys: the keys; each ``kid`` must be unique.
            current: the ``kid`` that signs; default the last key given.

        Raises:
            InvalidKeyError: duplicate ``kid``, mixed symmetric/asymmetric keys,
                or an unknown ``current``.
        """
        self._keys: dict[str, Key] = {}
        self._current: str | None = None
        # Bumped on every change, so caches know when to look again.
        self.generation = 0
        for key in keys:
            self.add(key)
        if current is not None:
            self.use(current)

    @classmethod
    def from_jwks(
        cls,
        jwks: Mapping[str, Any],
        *,
        algorithm: Algorithm | None = None,
        skip_unusable: bool = False,
    ) -> KeySet:
        """Load a JWK Set (``{"keys": [...]}``).

        Args:
            jwks: the parsed JWKS document.
            algorithm: for keys that carry no ``alg`` (e.g. RSA keys of some issuers).
            skip_unusable: leave out keys gatepass cannot use for signatures
                (encryption keys, other algorithms) instead of refusing the set;
                for an external issuer's JWKS.

        Returns:
            The set (the last key is current; of no meaning for public keys).

        Raises:
            InvalidKeyError: not a JWKS, a refused key, duplicate ``kid`` or mixed
                symmetric/asymmetric keys.
        """
        entries = jwks.get("keys") if isinstance(jwks, Mapping) else None
        if not isinstance(entries, list):
            raise InvalidKeyError("A JWKS is a JSON object with a 'keys' list.")
        keys = []
        for entry in entries:
            try:
                keys.append(Key.from_jwk(entry, algorithm=algorithm))
            except InvalidKeyError:
                if not skip_unusable:
                    raise
        return cls(keys)

    def add(self, key: Key, *, current: bool = False) -> None:
        """Add a key (for verification; also for signing if ``current``).

        Args:
            key: the key; its ``kid`` must be new to the set.
            current: make it the signer at once (else only the first key becomes
                current automatically).

        Raises:
            InvalidKeyError: duplicate ``kid`` or mixing symmetric and asymmetric.
        """
        if key.kid in self._keys:
            # RFC 7517 §4.5: kids within a set should be distinct; a duplicate
            # makes key selection ambiguous (Wycheproof DuplicateKid).
            raise InvalidKeyError(f"The key set already has a key with kid {key.kid!r}.")
        if self._keys and next(iter(self._keys.values())).is_symmetric != key.is_symmetric:
            raise InvalidKeyError(
                "A key set holds either HMAC secrets or asymmetric keys, not both "
                "(RFC 8725 §2.1); use two sets and two verifiers."
            )
        self._keys[key.kid] = key
        if current or self._current is None:
            self._current = key.kid
        self.generation += 1

    def use(self, kid: str) -> None:
        """Make the key with this ``kid`` the signer.

        Raises:
            UnknownKeyError: no such key.
        """
        self.get(kid)
        self._current = kid
        self.generation += 1

    def rotate(self, key: Key) -> None:
        """Add a new key and sign with it from now on; old keys still verify.

        Args:
            key: the new signing key.

        Raises:
            InvalidKeyError: as :meth:`add`.
        """
        self.add(key, current=True)

    def retire(self, kid: str) -> Key:
        """Remove a key: tokens it signed stop verifying.

        Args:
            kid: the key to remove; it may not be the current signer.

        Returns:
            The removed key.

        Raises:
            UnknownKeyError: no such key.
            InvalidKeyError: it is the current signer (rotate first).
        """
        key = self.get(kid)
        if kid == self._current and len(self._keys) > 1:
            raise InvalidKeyError(f"Key {kid!r} is the current signer; rotate before retiring.")
        del self._keys[kid]
        if kid == self._current:
            self._current = None
        self.generation += 1
        return key

    @property
    def current(self) -> Key:
        """The signing key.

        Raises:
            InvalidKeyError: the set is empty.
        """
        if self._current is None:
            raise InvalidKeyError("The key set is empty; add a key before signing.")
        return self._keys[self._current]

    def get(self, kid: str | None) -> Key:
        """The key with this ``kid``; with ``None``, the only key of a one-key set.

        Raises:
            UnknownKeyError: no such key (or no ``kid`` and several keys).
        """
        if kid is None:
            if len(self._keys) == 1:
                return next(iter(self._keys.values()))
            raise UnknownKeyError("The token has no 'kid' and the key set has several keys.")
        key = self._keys.get(kid)
        if key is None:
            raise UnknownKeyError(f"No key with kid {echo(kid)} is known.")
        return key

    def find(self, kid: str | None) -> Key | None:
        """Like :meth:`get`, returning ``None`` instead of raising."""
        if kid is None:
            return next(iter(self._keys.values())) if len(self._keys) == 1 else None
        return self._keys.get(kid)

    def holds(self, key: Key) -> bool:
        """Whether this very key is still in the set (not retired)."""
        return self._keys.get(key.kid) is key

    def to_jwks(self) -> dict[str, list[dict[str, Any]]]:
        """The public JWKS to publish: public keys only, never a private or HMAC key."""
        return {"keys": [key.public_jwk() for key in self._keys.values() if not key.is_symmetric]}

    def __iter__(self) -> Iterator[Key]:
        return iter(tuple(self._keys.values()))

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, kid: object) -> bool:
        return kid in self._keys

    def __repr__(self) -> str:
        return f"KeySet(kids={list(self._keys)!r}, current={self._current!r})"
