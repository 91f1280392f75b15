"""OpenID Provider metadata from ``{issuer}/.well-known/openid-configuration``, cached.

The document is fetched once per ``ttl`` and checked before use: its ``issuer`` must
be exactly the configured issuer (OpenID Connect Discovery 1.0 §4.3, which stops a
look-alike document from redirecting logins or keys), and the ID token algorithms are
narrowed to asymmetric ones gatepass implements (RFC 8725 §3.1, §3.2: never ``none``,
never an HMAC keyed with a public key).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

import httpx

from gatepass.errors import ProviderError
from gatepass.strategies.oauth._http import get_json
from gatepass.tokens.algorithms import ALGORITHMS, Algorithm

# Asymmetric only: an ID token is checked with the issuer's published public keys.
_RETRY_AFTER = 30.0
ASYMMETRIC: frozenset[str] = frozenset(a for a in ALGORITHMS if not a.startswith("HS"))


@dataclass(frozen=True, slots=True)
class ProviderMetadata:
    """The parts of an OpenID Provider's metadata a relying party uses.

    Args:
        issuer: the issuer identifier, equal to the configured one.
        authorization_endpoint: where users are sent.
        token_endpoint: where codes are traded.
        jwks_uri: the public keys.
        userinfo_endpoint: the userinfo endpoint, if any.
        id_token_algorithms: the asymmetric algorithms accepted for ID tokens.
        iss_parameter_supported: the provider adds ``iss`` to its callbacks (RFC 9207).
        token_auth_methods: ``token_endpoint_auth_methods_supported``, or ``None``
            when the document does not say.
    """

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    id_token_algorithms: tuple[Algorithm, ...]
    iss_parameter_supported: bool
    token_auth_methods: tuple[str, ...] | None = None


def parse_metadata(document: Any, issuer: str) -> ProviderMetadata:
    """Check a discovery document and keep what is used.

    Args:
        document: the parsed JSON.
        issuer: the configured issuer.

    Returns:
        The metadata.

    Raises:
        ProviderError: the document is not an object, names another issuer, lacks an
            endpoint, or allows no usable signing algorithm.
    """
    if not isinstance(document, dict):
        raise ProviderError("The provider's discovery document is not a JSON object.")
    if document.get("issuer") != issuer:
        raise ProviderError(
            f"The discovery document names issuer {str(document.get('issuer'))[:100]!r}, "
            f"not {issuer!r}."
        )
    endpoints = {}
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        value = document.get(name)
        if not isinstance(value, str) or not value.startswith(("https://", "http://")):
            raise ProviderError(f"The provider's discovery document has no usable {name}.")
        endpoints[name] = value
    userinfo = document.get("userinfo_endpoint")
    # OIDC Discovery §3: RS256 is the default when the provider lists nothing.
    listed = document.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = tuple(cast(Algorithm, a) for a in listed if isinstance(a, str) and a in ASYMMETRIC)
    if not algorithms:
        raise ProviderError(
            "The provider signs ID tokens only with algorithms refused here (none/HMAC)."
        )
    methods = document.get("token_endpoint_auth_methods_supported")
    return ProviderMetadata(
        issuer=issuer,
        authorization_endpoint=endpoints["authorization_endpoint"],
        token_endpoint=endpoints["token_endpoint"],
        jwks_uri=endpoints["jwks_uri"],
        userinfo_endpoint=userinfo if isinstance(userinfo, str) else None,
        id_token_algorithms=algorithms,
        iss_parameter_supported=document.get("authorization_response_iss_parameter_supported")
        is True,
        token_auth_methods=tuple(m for m in methods if isinstance(m, str))
        if isinstance(methods, list)
        else None,
    )


class Discovery:
    """The issuer's metadata, fetched when first needed and again after ``ttl``.

    When a refresh fails, the last good copy keeps serving (the issuer's endpoints
    rarely move; logins keep working through a short discovery outage).

    Args:
        issuer: the issuer identifier (no trailing slash is added or removed).
        http: returns the HTTP client.
        ttl: how long a copy is fresh.
        time_limit: seconds per request.
        clock: monotonic seconds.
    """

    def __init__(
        self,
        issuer: str,
        *,
        http: Callable[[], httpx.AsyncClient],
        ttl: timedelta,
        time_limit: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.issuer = issuer
        self.url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        self._http = http
        self._ttl = ttl.total_seconds()
        self._time_limit = time_limit
        self._clock = clock
        self._metadata: ProviderMetadata | None = None
        self._fresh_until = float("-inf")
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def get(self) -> ProviderMetadata:
        """The metadata, from the cache when fresh.

        Returns:
            The metadata.

        Raises:
            ProviderUnavailableError: the issuer cannot be reached and nothing is cached.
            ProviderError: the document is refused and nothing is cached.
        """
        if self._metadata is not None and self._clock() < self._fresh_until:
            return self._metadata
        async with self._lock:  # one fetch for many concurrent logins
            if self._metadata is not None and self._clock() < self._fresh_until:
                return self._metadata
            self.fetches += 1
            try:
                document = await get_json(
                    self._http(), self.url, what="discovery", time_limit=self._time_limit
                )
                self._metadata = parse_metadata(document, self.issuer)
            except ProviderError:
                if self._metadata is None:
                    raise
                # Serve the last good copy; try again after a short pause, not a full ttl.
                self._fresh_until = self._clock() + min(self._ttl, _RETRY_AFTER)
                return self._metadata
            self._fresh_until = self._clock() + self._ttl
            return self._metadata
