"""API keys from a header or query parameter, checked by hash in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import HTTPConnection

from gatepass.strategies.base import maybe_await
from gatepass.strategies.outcomes import Fail, Outcome, Success


@dataclass(frozen=True, slots=True)
class APIKeyRecord:
    """What the app stores for one key: never the key, only its SHA-256 hex digest.

    Args:
        digest: ``hash_api_key(key)``.
        user: the key's owner.
        scopes: scopes the key grants.
    """

    digest: str
    user: Any
    scopes: tuple[str, ...] = field(default=())


Lookup = Callable[[str], APIKeyRecord | Awaitable[APIKeyRecord | None] | None]


def hash_api_key(key: str) -> str:
    """Return the SHA-256 hex digest to store for ``key``.

    Args:
        key: the full key as handed to the client.

    Returns:
        64 hex characters.
    """
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def generate_api_key(key_id: str | None = None) -> tuple[str, str]:
    """Make a new key ``"<id>.<secret>"`` and the digest to store for it.

    Args:
        key_id: the public id part; random when omitted.

    Returns:
        ``(key, digest)``: give ``key`` to the client once, store ``digest``.
    """
    key = f"{key_id or secrets.token_hex(6)}.{secrets.token_urlsafe(32)}"
    return key, hash_api_key(key)


def _default_key_id(key: str) -> str:
    return key.partition(".")[0]


class APIKeyStrategy:
    """Authenticate a key ``"<id>.<secret>"`` sent in a header or query parameter.

    The id finds the stored record; the SHA-256 digest of the presented key is then
    compared to the stored digest with ``hmac.compare_digest``, so the raw key is never
    stored or compared and the comparison leaks no timing (OWASP ASVS 2.9.1, 6.4.1).

    Args:
        lookup: ``lookup(key_id)``, sync or async, returns an ``APIKeyRecord`` or None.
        header: the header to read (``None`` to skip headers).
        query_param: a query parameter to read as well (off by default: URLs end up in
            logs).
        key_id: how to get the id from a presented key.
        name: the registration name.
    """

    def __init__(
        self,
        lookup: Lookup,
        *,
        header: str | None = "X-API-Key",
        query_param: str | None = None,
        key_id: Callable[[str], str] = _default_key_id,
        name: str = "api_key",
    ) -> None:
        self.name = name
        self._lookup = lookup
        self._header = header
        self._query_param = query_param
        self._key_id = key_id
        self.challenge = f'APIKey header="{header}"' if header else None

    async def authenticate(self, request: HTTPConnection, **options: Any) -> Outcome:
        """Find and check the key.

        Args:
            request: the request.
            **options: ignored.

        Returns:
            ``Success(user, scopes=record.scopes)`` or ``Fail``.
        """
        key = request.headers.get(self._header) if self._header else None
        if not key and self._query_param:
            key = request.query_params.get(self._query_param)
        if not key:
            return Fail(challenge=self.challenge, message="An API key is required.", sent=False)
        presented = hashlib.sha256(key.encode("utf-8")).digest()
        record = await maybe_await(self._lookup(self._key_id(key)))
        try:
            stored = bytes.fromhex(record.digest) if record is not None else bytes(32)
        except ValueError:
            stored = bytes(32)
        # Compare even when no record was found, so a miss costs the same as a mismatch.
        if not hmac.compare_digest(presented, stored) or record is None:
            return Fail(challenge=self.challenge, message="The API key is not valid.")
        return Success(record.user, {"method": "api_key"}, scopes=record.scopes)
