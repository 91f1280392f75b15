"""Bearer JWTs (passport-jwt), verified by :class:`gatepass.tokens.Verifier`."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from typing import Any

from starlette.requests import HTTPConnection

from gatepass.audit.tracing import SPAN_TOKEN_VERIFY, span
from gatepass.errors import ConfigurationError, TokenError
from gatepass.strategies.base import call_in_thread, is_async_callable
from gatepass.strategies.extractors import Extractor, from_bearer_header
from gatepass.strategies.outcomes import Fail, Outcome, Success
from gatepass.tokens import Key, KeySet, RemoteKeySet, Verifier
from gatepass.tokens.algorithms import Algorithm
from gatepass.tokens.durations import Duration

VerifyClaims = Callable[..., Any | Awaitable[Any]]
# RFC 6750 §3: error_description is limited to %x20-21 / %x23-5B / %x5D-7E.
_UNSAFE_DESCRIPTION = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")
# Messages may echo token contents (a kid); a challenge header stays small.
MAX_DESCRIPTION = 200


def _scopes(claims: Mapping[str, Any]) -> tuple[str, ...]:
    # RFC 9068 §2.2.3 / RFC 8693 §4.2: "scope" is one space-separated string; some
    # issuers send "scp" as a list.
    scope = claims.get("scope")
    if isinstance(scope, str):
        return tuple(scope.split())
    scp = claims.get("scp")
    if scp is None:
        return ()
    if isinstance(scp, list):
        return tuple(str(s) for s in scp)
    if isinstance(scp, str):
        return tuple(scp.split())
    return ()


class JWTStrategy:
    """Authenticate a request by a signed JWT, read by an extractor (bearer header default).

    The token's claims land in ``request.auth.claims`` and its ``scope``/``scp`` in
    ``request.auth.scopes``. Refusals carry ``Bearer realm=..., error="invalid_token",
    error_description=...`` (RFC 6750 §3); a request with no token gets the bare
    ``Bearer realm=...`` challenge (RFC 6750 §3.1: no error code without credentials).

    Args:
        verifier_or_keys: a configured ``Verifier``, or keys to build one from (a
            ``Key``, ``KeySet`` or ``RemoteKeySet``).
        verify: ``verify(claims)`` (or ``verify(request, claims)`` with
            ``pass_request``), sync or async, returns the user, ``None`` to refuse or
            ``(user, info)``; a sync one runs in a worker thread. Default: the user is
            the claims dict.
        extract: where the token is read from (:mod:`gatepass.strategies.extractors`).
        audience: accepted ``aud`` (only when keys are given).
        issuer: accepted ``iss`` (only when keys are given).
        algorithms: an algorithm allow-list (only when keys are given).
        typ: the required ``typ`` header, e.g. ``"at+jwt"`` (only when keys are given).
        leeway: allowed clock skew (only when keys are given).
        clock: epoch seconds (only when keys are given).
        realm: the realm named in challenges.
        pass_request: give the request to ``verify`` first.
        name: the registration name.

    Raises:
        ConfigurationError: claim options given together with a ready ``Verifier``.
    """

    def __init__(
        self,
        verifier_or_keys: Verifier | Key | KeySet | RemoteKeySet,
        *,
        verify: VerifyClaims | None = None,
        extract: Extractor | None = None,
        audience: str | Sequence[str] | None = None,
        issuer: str | Sequence[str] | None = None,
        algorithms: Collection[Algorithm] | None = None,
        typ: str | None = None,
        leeway: Duration = 0,
        clock: Callable[[], float] = time.time,
        realm: str = "api",
        pass_request: bool = False,
        name: str = "jwt",
    ) -> None:
        if isinstance(verifier_or_keys, Verifier):
            if audience is not None or issuer is not None or algorithms or typ:
                raise ConfigurationError(
                    "JWTStrategy got a Verifier and claim options: set audience, issuer, "
                    "algorithms and typ on the Verifier."
                )
            self.verifier = verifier_or_keys
        else:
            self.verifier = Verifier(
                keys=verifier_or_keys,
                audience=audience,
                issuer=issuer,
                algorithms=algorithms,
                typ=typ,
                leeway=leeway,
                clock=clock,
            )
        self.name = name
        self.realm = realm
        self._verify = verify
        # Checked once here, not per request: inspect's flag reads cost microseconds
        # on the hot path (docs/performance.md). A sync callback still runs in a thread.
        self._verify_is_async = verify is not None and is_async_callable(verify)
        self._extract = extract or from_bearer_header()
        self._pass_request = pass_request

    def _challenge(self, error: str | None = None, description: str = "") -> str:
        challenge = f'Bearer realm="{self.realm}"'
        if error:
            # Stripped to RFC 6750 §3's characters, then capped: a message may echo an
            # attacker-chosen header value (a kid), and an oversized challenge can
            # overflow a proxy's response-header buffer (nginx's is 4-8 KB).
            text = _UNSAFE_DESCRIPTION.sub("", description)
            if len(text) > MAX_DESCRIPTION:
                text = text[: MAX_DESCRIPTION - 3] + "..."
            challenge += f', error="{error}", error_description="{text}"'
        return challenge

    async def authenticate(self, request: HTTPConnection, **options: Any) -> Outcome:
        """Extract, verify, then ask ``verify`` for the user.

        Args:
            request: the request or WebSocket.
            **options: ignored.

        Returns:
            ``Success`` with claims and scopes, or ``Fail`` with a Bearer challenge.
            A key set or revocation store that cannot be reached raises (503).
        """
        token = await self._extract(request)
        if not token:
            return Fail(self._challenge(), message="A bearer token is required.", sent=False)
        try:
            with span(SPAN_TOKEN_VERIFY):
                claims = await self.verifier.verify_async(token, request)
        except TokenError as exc:
            return Fail(
                self._challenge("invalid_token", exc.message),
                message=exc.message,
                code=exc.code,
            )
        info: Mapping[str, Any] = {"method": "jwt"}
        verify = self._verify
        if verify is None:
            user: Any = claims
        else:
            args = (request, claims) if self._pass_request else (claims,)
            if self._verify_is_async:
                user = await verify(*args)
            else:
                user = await call_in_thread(verify, *args)
            if isinstance(user, tuple) and len(user) == 2 and isinstance(user[1], Mapping):
                user, info = user[0], {**info, **user[1]}
        if user is None or user is False:
            message = "The token's user is not known."
            return Fail(
                self._challenge("invalid_token", message), message=message, code="invalid_token"
            )
        return Success(user, info, _scopes(claims), claims)  # positional: a hot path
