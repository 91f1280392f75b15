"""The authorization code flow both OAuth strategies share: redirect out, check the way back.

Step 1 (no ``code``/``error`` in the query): store a pending login in the session and
redirect to the provider with ``state`` and a PKCE S256 challenge, always (RFC 9700
§2.1.1). Step 2 (the callback): refuse provider errors and bad or replayed ``state``,
then trade the code for tokens. Everything a provider or a browser can get wrong
comes back as a ``Fail`` with a message fit for a flash, never an exception.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx
from starlette.requests import HTTPConnection

from gatepass.errors import ConfigurationError, GatepassError
from gatepass.strategies._verify import verified
from gatepass.strategies.base import maybe_await
from gatepass.strategies.oauth import _state
from gatepass.strategies.oauth._http import (
    ClientAuth,
    TokenResponse,
    choose_client_auth,
    exchange_code,
)
from gatepass.strategies.oauth._profile import ProviderProfile
from gatepass.strategies.oauth.options import OAuth2Options
from gatepass.strategies.outcomes import Fail, Outcome, Redirect, Success

Verify = Callable[..., Any | Awaitable[Any]]
CANCELLED = "access_denied"
STATE_TTL = timedelta(minutes=10)
TIMEOUT = timedelta(seconds=10)


def scope_text(scope: str | Sequence[str]) -> str:
    """Join scopes with spaces (RFC 6749 §3.3).

    Args:
        scope: a space-separated string or a list.

    Returns:
        The scope parameter.
    """
    return scope if isinstance(scope, str) else " ".join(scope)


def failure(exc: GatepassError) -> Fail:
    """Turn a provider or account error into a ``Fail`` the Authenticator can flash.

    Args:
        exc: the error.

    Returns:
        A failure with the error's status, code and message.
    """
    return Fail(status=exc.status_code, message=exc.message, code=exc.code)


def is_callback(request: HTTPConnection) -> bool:
    """Whether the request is the provider sending the user back.

    Args:
        request: the request.

    Returns:
        True when the query has ``code`` or ``error``.
    """
    return "code" in request.query_params or "error" in request.query_params


@dataclass(frozen=True, slots=True)
class Client:
    """The OAuth client's registration: who we are to the provider.

    Args:
        client_id: the client id.
        client_secret: the client secret.
        callback_url: the registered redirect URI (absolute).
        scope: the scopes asked for.
        client_auth: how the client authenticates at the token endpoint (``None``:
            as the provider's metadata says).
        params: extra authorization request parameters (``prompt``, ``hd``...).
    """

    client_id: str
    client_secret: str
    callback_url: str
    scope: str
    client_auth: ClientAuth | None
    params: Mapping[str, str]

    def check(self, strategy: str) -> None:
        """Refuse a registration that cannot work, with the fix in the message.

        Args:
            strategy: the strategy name.

        Raises:
            ConfigurationError: an empty id or secret, or a callback URL that is not
                absolute.
        """
        if not self.client_id or not self.client_secret:
            raise ConfigurationError(
                f"The {strategy!r} strategy needs client_id and client_secret."
            )
        parts = urlsplit(self.callback_url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ConfigurationError(
                f"callback_url of {strategy!r} must be the absolute URL registered with the "
                "provider, e.g. https://app.example/auth/github/callback."
            )


class Flow:
    """One strategy's authorization code flow (state, PKCE, code exchange).

    Args:
        name: the strategy name; the session key derives from it.
        client: the client registration.
        http: the HTTP client for the token call (the caller owns it).
        options: ``state_ttl``, ``timeout``, ``clock`` and ``token`` are read here.
    """

    def __init__(
        self,
        *,
        name: str,
        client: Client,
        http: Callable[[], httpx.AsyncClient],
        options: OAuth2Options,
    ) -> None:
        client.check(name)
        self.name = name
        self.client = client
        self._http = http
        self._state_ttl = options.get("state_ttl", STATE_TTL).total_seconds()
        self.timeout = options.get("timeout", TIMEOUT).total_seconds()
        self.clock = options.get("clock", time.time)
        self._token = options.get("token", secrets.token_urlsafe)

    def start(
        self, request: HTTPConnection, authorization_url: str, *, with_nonce: bool
    ) -> Redirect:
        """Store a pending login and redirect to the provider.

        Args:
            request: the request (its session is written).
            authorization_url: the provider's authorization endpoint.
            with_nonce: send an OIDC ``nonce``.

        Returns:
            The redirect.

        Raises:
            ConfigurationError: no session middleware.
        """
        session = _state.session_of(request, self.name)
        pending = _state.begin(
            session, self.name, with_nonce=with_nonce, token=self._token, now=self.clock()
        )
        query = {
            **self.client.params,
            "response_type": "code",
            "client_id": self.client.client_id,
            "redirect_uri": self.client.callback_url,
            "state": pending.state,
            "code_challenge": _state.pkce_challenge(pending.code_verifier),
            "code_challenge_method": "S256",
        }
        if self.client.scope:
            query["scope"] = self.client.scope
        if pending.nonce is not None:
            query["nonce"] = pending.nonce
        parts = urlsplit(authorization_url)
        joined = f"{parts.query}&{urlencode(query)}" if parts.query else urlencode(query)
        return Redirect(urlunsplit(parts._replace(query=joined)), 302)

    def returned(self, request: HTTPConnection) -> _state.PendingLogin | Fail:
        """Check the callback's query against the pending login (which is popped).

        Args:
            request: the callback request.

        Returns:
            The pending login, or a ``Fail`` for a provider error or a bad state.

        Raises:
            ConfigurationError: no session middleware.
        """
        session = _state.session_of(request, self.name)
        query = request.query_params
        pending = _state.take(
            session, self.name, query.get("state"), now=self.clock(), max_age=self._state_ttl
        )
        error = query.get("error")
        if error is not None:
            # RFC 6749 §4.1.2.1: the user said no, or the provider refused the request.
            if error == CANCELLED:
                return Fail(message="Sign-in was cancelled at the provider.", code=CANCELLED)
            return Fail(
                message="The sign-in provider refused the request; please try again.",
                code="provider_refused",
            )
        if isinstance(pending, str):
            return Fail(message=pending, code="invalid_state")
        return pending

    async def exchange(
        self,
        request: HTTPConnection,
        token_url: str,
        pending: _state.PendingLogin,
        *,
        auth_methods: Sequence[str] | None = None,
    ) -> TokenResponse:
        """Trade the callback's code for tokens, proving the PKCE verifier.

        Args:
            request: the callback request.
            token_url: the provider's token endpoint.
            pending: the checked pending login.
            auth_methods: the provider's ``token_endpoint_auth_methods_supported``,
                used when the client sets no ``client_auth``.

        Returns:
            The token response.

        Raises:
            ProviderError: no code, the provider refused it (replayed, expired), or
                it accepts no client authentication gatepass can send.
            ProviderUnavailableError: the provider cannot be reached.
        """
        code = request.query_params.get("code", "")
        return await exchange_code(
            self._http(),
            token_url,
            code=code,
            redirect_uri=self.client.callback_url,
            code_verifier=pending.code_verifier,
            client_id=self.client.client_id,
            client_secret=self.client.client_secret,
            client_auth=choose_client_auth(self.client.client_auth, auth_methods),
            time_limit=self.timeout,
        )


async def ask_verify(
    verify: Verify,
    profile: ProviderProfile,
    provider: str,
    request: HTTPConnection | None = None,
) -> Outcome:
    """Hand the profile to the app's ``verify`` and turn its answer into an outcome.

    A ``GatepassError`` the callback raises (``AccountLinkRequiredError``, say) becomes a
    ``Fail`` carrying its message, so the login page can flash it.

    Args:
        verify: ``verify(profile)``, or ``verify(request, profile)`` when ``request``
            is given; sync or async.
        profile: the normalized profile.
        provider: the provider name for ``info``.
        request: pass the request to ``verify`` first.

    Returns:
        ``Success`` (info has ``method``, ``provider`` and ``profile``) or ``Fail``.
    """
    try:
        args = (profile,) if request is None else (request, profile)
        result = await maybe_await(verify(*args))
    except GatepassError as exc:
        if exc.status_code >= 500:
            raise
        return failure(exc)
    outcome = verified(result)
    if isinstance(outcome, Fail):
        return Fail(message=outcome.message, code=outcome.code)
    if not isinstance(outcome, Success):
        return outcome
    info = {"method": "oauth", "provider": provider, "profile": profile, **outcome.info}
    return Success(outcome.user, info, scopes=outcome.scopes)
