"""Outgoing calls to OAuth 2.0 / OpenID providers, over httpx, with errors translated here.

This is the one module that talks to a provider: network failures become
``ProviderUnavailableError`` (503) and refusals or malformed answers become
``ProviderError`` (502); no httpx or JSON exception leaves it.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote

import httpx
import orjson

from gatepass.errors import ProviderError, ProviderUnavailableError

ClientAuth = Literal["client_secret_basic", "client_secret_post"]
# RFC 6749 §2.3.1: every server supports Basic, and credentials in the body are
# NOT RECOMMENDED; so Basic first, the body only where the provider asks for it.
CLIENT_AUTH_METHODS: tuple[ClientAuth, ...] = ("client_secret_basic", "client_secret_post")
# Provider error codes and descriptions end up in logs and flash messages: keep them
# short and printable (RFC 6749 §5.2 limits both to %x20-21 / %x23-5B / %x5D-7E).
_UNPRINTABLE = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")
_MAX_BODY = 1_000_000


def _clean(value: Any, limit: int = 80) -> str:
    return _UNPRINTABLE.sub("", str(value))[:limit]


@dataclass(frozen=True, slots=True)
class TokenResponse:
    """A successful token endpoint answer (RFC 6749 §5.1), shape-checked.

    Args:
        access_token: the access token.
        token_type: ``"Bearer"`` (compared case-insensitively; others are refused).
        expires_in: seconds, when given.
        refresh_token: when given.
        scope: the granted scope, when given.
        id_token: the OpenID Connect ID token, when given.
        raw: the whole JSON object.
    """

    access_token: str
    token_type: str
    expires_in: int | None = None
    refresh_token: str | None = None
    scope: str | None = None
    id_token: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)


def basic_credentials(client_id: str, client_secret: str) -> str:
    """Build the ``Authorization: Basic`` value for client authentication.

    RFC 6749 §2.3.1: both parts are form-urlencoded before base64, so a secret with
    ``:`` or non-ASCII characters survives.

    Args:
        client_id: the client id.
        client_secret: the client secret.

    Returns:
        ``"Basic <base64>"``.
    """
    pair = f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}"
    return "Basic " + base64.b64encode(pair.encode("ascii")).decode("ascii")


def choose_client_auth(
    configured: ClientAuth | None, supported: Sequence[str] | None
) -> ClientAuth:
    """Pick the token endpoint client authentication.

    Args:
        configured: the strategy's ``client_auth`` (``None``: not set).
        supported: the provider's ``token_endpoint_auth_methods_supported``, when known.

    Returns:
        ``configured`` when set; else the first of :data:`CLIENT_AUTH_METHODS` the
        provider lists; ``client_secret_basic`` when it lists nothing (the default of
        OpenID Connect Discovery 1.0 §3 and RFC 8414 §2).

    Raises:
        ProviderError: ``client_auth`` is not set and the provider lists neither method.
    """
    if configured is not None:
        return configured
    if not supported:
        return "client_secret_basic"
    for method in CLIENT_AUTH_METHODS:
        if method in supported:
            return method
    raise ProviderError(
        "The sign-in provider accepts neither client_secret_basic nor client_secret_post "
        "at its token endpoint."
    )


async def _send(client: httpx.AsyncClient, request: httpx.Request, what: str) -> httpx.Response:
    try:
        response = await client.send(request)
    except httpx.HTTPError as exc:
        raise ProviderUnavailableError(
            f"The sign-in provider cannot be reached ({what}: {type(exc).__name__})."
        ) from None
    if len(response.content) > _MAX_BODY:
        raise ProviderError(f"The provider's {what} answer is too large.")
    return response


def _json(response: httpx.Response, what: str) -> Any:
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        raise ProviderError(
            f"The provider's {what} answer is not JSON (HTTP {response.status_code})."
        ) from None


async def exchange_code(
    client: httpx.AsyncClient,
    token_url: str,
    *,
    code: str,
    redirect_uri: str,
    code_verifier: str,
    client_id: str,
    client_secret: str,
    client_auth: ClientAuth,
    time_limit: float,
) -> TokenResponse:
    """Trade an authorization code for tokens (RFC 6749 §4.1.3, RFC 7636 §4.5).

    Args:
        client: the HTTP client.
        token_url: the token endpoint.
        code: the code from the callback.
        redirect_uri: the same redirect URI sent in the authorization request.
        code_verifier: the PKCE verifier of this login.
        client_id: the client id.
        client_secret: the client secret.
        client_auth: how the client authenticates.
        time_limit: seconds for the request.

    Returns:
        The shape-checked token response.

    Raises:
        ProviderUnavailableError: the token endpoint cannot be reached.
        ProviderError: the provider refused the code or answered something unusable.
    """
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": code_verifier,
    }
    headers = {"Accept": "application/json"}
    if client_auth == "client_secret_basic":
        headers["Authorization"] = basic_credentials(client_id, client_secret)
    else:
        form.update(client_id=client_id, client_secret=client_secret)
    request = client.build_request(
        "POST", token_url, data=form, headers=headers, timeout=time_limit
    )
    response = await _send(client, request, "token")
    if response.status_code >= 500:
        raise ProviderUnavailableError(
            f"The sign-in provider is failing (token: HTTP {response.status_code})."
        )
    body = _json(response, "token")
    if not isinstance(body, dict):
        raise ProviderError("The provider's token answer is not a JSON object.")
    # Some providers (GitHub) report errors with HTTP 200: the body decides too.
    if "error" in body or response.status_code != 200:
        error = _clean(body.get("error", f"HTTP {response.status_code}"))
        description = _clean(body.get("error_description", ""), 200)
        detail = f"{error}: {description}" if description else error
        raise ProviderError(f"The provider refused the sign-in ({detail}).")
    return _token_response(body)


def _token_response(body: dict[str, Any]) -> TokenResponse:
    access_token = body.get("access_token")
    token_type = body.get("token_type")
    if not isinstance(access_token, str) or not access_token:
        raise ProviderError("The provider's token answer has no access_token.")
    # RFC 6749 §7.1 / RFC 6750: only bearer tokens are understood here.
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise ProviderError("The provider's token answer is not a bearer token.")
    expires_in = body.get("expires_in")
    if isinstance(expires_in, str) and expires_in.isdigit():
        expires_in = int(expires_in)
    optional = {}
    for name in ("refresh_token", "scope", "id_token"):
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            raise ProviderError(f"The provider's token answer has a non-string {name}.")
        optional[name] = value
    return TokenResponse(
        access_token=access_token,
        token_type=token_type,
        expires_in=expires_in if type(expires_in) is int else None,
        refresh_token=optional["refresh_token"],
        scope=optional["scope"],
        id_token=optional["id_token"],
        raw=body,
    )


async def get_json(
    client: httpx.AsyncClient,
    url: str,
    *,
    what: str,
    time_limit: float,
    access_token: str | None = None,
    accept: str = "application/json",
) -> Any:
    """GET a JSON document from a provider (discovery, userinfo, a user API).

    Args:
        client: the HTTP client.
        url: the address.
        what: names the document in error messages.
        time_limit: seconds for the request.
        access_token: sent as ``Authorization: Bearer`` when given.
        accept: the ``Accept`` header.

    Returns:
        The parsed JSON.

    Raises:
        ProviderUnavailableError: the provider cannot be reached or answers 5xx.
        ProviderError: any other non-200 answer, or a body that is not JSON.
    """
    headers = {"Accept": accept}
    if access_token is not None:
        headers["Authorization"] = f"Bearer {access_token}"
    request = client.build_request("GET", url, headers=headers, timeout=time_limit)
    response = await _send(client, request, what)
    if response.status_code >= 500:
        raise ProviderUnavailableError(
            f"The sign-in provider is failing ({what}: HTTP {response.status_code})."
        )
    if response.status_code != 200:
        raise ProviderError(
            f"The provider refused the {what} request (HTTP {response.status_code})."
        )
    return _json(response, what)
