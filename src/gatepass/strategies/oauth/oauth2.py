"""OAuth 2.0 sign-in with the authorization code flow and PKCE (passport-oauth2).

The route ``GET /auth/{provider}`` runs the strategy and gets a redirect to the
provider; ``GET /auth/{provider}/callback`` runs it again and gets ``Success`` or a
``Fail`` with a message to flash. The strategy keeps its pending login in the session
under one key of its own and never writes a response.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

import httpx
from starlette.requests import HTTPConnection

from gatepass.errors import ProviderError
from gatepass.strategies.oauth._flow import Verify, failure, is_callback
from gatepass.strategies.oauth._http import TokenResponse, get_json
from gatepass.strategies.oauth._profile import ProviderProfile, asserted_true, optional_text
from gatepass.strategies.oauth._strategy import CodeFlowStrategy
from gatepass.strategies.oauth.options import OAuth2Options
from gatepass.strategies.outcomes import Fail, Outcome

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "OAuth2Strategy",
    "ProfileFetcher",
    "ProfileRequest",
    "ProviderProfile",
    "TokenResponse",
    "userinfo_profile",
]

ProfileFetcher = Callable[["ProfileRequest"], Awaitable[ProviderProfile]]


class ProfileRequest:
    """What a profile fetcher gets: the tokens and a way to call the provider's API.

    Args:
        provider: the strategy name (for ``ProviderProfile.provider``).
        tokens: the token response.
        http: the strategy's HTTP client.
        timeout: seconds per request.
    """

    def __init__(
        self, *, provider: str, tokens: TokenResponse, http: httpx.AsyncClient, timeout: float
    ) -> None:
        self.provider = provider
        self.tokens = tokens
        self._http = http
        self._timeout = timeout

    async def get_json(self, url: str, *, accept: str = "application/json") -> Any:
        """GET a JSON resource with the access token.

        Args:
            url: the API address.
            accept: the ``Accept`` header.

        Returns:
            The parsed JSON.

        Raises:
            ProviderUnavailableError: the API cannot be reached.
            ProviderError: the API refused or answered something that is not JSON.
        """
        return await get_json(
            self._http,
            url,
            what="profile",
            time_limit=self._timeout,
            access_token=self.tokens.access_token,
            accept=accept,
        )


def userinfo_profile(url: str) -> ProfileFetcher:
    """A profile fetcher for a JSON user endpoint with OIDC-style claims.

    Args:
        url: the endpoint (``sub``, ``email``, ``email_verified``, ``name``).

    Returns:
        The fetcher.
    """

    async def fetch(request: ProfileRequest) -> ProviderProfile:
        claims = await request.get_json(url)
        subject = claims.get("sub") if isinstance(claims, dict) else None
        if not isinstance(subject, str | int) or isinstance(subject, bool) or subject == "":
            raise ProviderError("The provider's user answer has no subject.")
        return ProviderProfile(
            provider=request.provider,
            subject=str(subject),
            email=optional_text(claims.get("email")),
            email_verified=asserted_true(claims.get("email_verified")),
            name=optional_text(claims.get("name")),
            raw=claims,
        )

    return fetch


class OAuth2Strategy(CodeFlowStrategy):
    """Sign in through an OAuth 2.0 provider: code flow, PKCE S256, single-use state.

    Args:
        authorization_url: the provider's authorization endpoint.
        token_url: the provider's token endpoint.
        client_id: this app's client id at the provider.
        client_secret: this app's client secret.
        callback_url: the absolute redirect URI registered with the provider.
        scope: scopes to ask for (a string or a list).
        profile: ``await profile(ProfileRequest) -> ProviderProfile``: reads who
            signed in, e.g. :func:`userinfo_profile` or the GitHub preset's.
        verify: ``verify(profile)``, sync or async: the app's user, ``None`` to
            refuse, or ``(user, info)``; an error it raises with a status below 500
            (``AccountLinkRequiredError``) becomes a ``Fail`` with its message.
        name: the registration name; also ``ProviderProfile.provider``.
        **options: :class:`~gatepass.strategies.oauth.options.OAuth2Options`
            (``pass_request``, ``client``, ``client_auth``, ``timeout``...).

    Raises:
        ConfigurationError: missing client credentials or a relative callback URL.
        TypeError: an option this strategy does not take.
    """

    def __init__(
        self,
        authorization_url: str,
        token_url: str,
        client_id: str,
        client_secret: str,
        callback_url: str,
        scope: str | Sequence[str] = (),
        *,
        profile: ProfileFetcher,
        verify: Verify,
        name: str = "oauth2",
        **options: Unpack[OAuth2Options],
    ) -> None:
        super().__init__(
            name=name,
            client_id=client_id,
            client_secret=client_secret,
            callback_url=callback_url,
            scope=scope,
            verify=verify,
            options=options,
        )
        self.authorization_url = authorization_url
        self.token_url = token_url
        self._profile = profile

    async def authenticate(self, request: HTTPConnection, **options: Any) -> Outcome:
        """Redirect to the provider, or finish the login on its callback.

        Args:
            request: the request (its session holds the pending login).
            **options: ignored.

        Returns:
            ``Redirect`` (step 1), ``Success`` or ``Fail`` (the callback).

        Raises:
            ConfigurationError: no session middleware in front of the route.
        """
        if not is_callback(request):
            return self.flow.start(request, self.authorization_url, with_nonce=False)
        pending = self.flow.returned(request)
        if isinstance(pending, Fail):
            return pending
        try:
            tokens = await self.flow.exchange(request, self.token_url, pending)
            profile = await self._profile(
                ProfileRequest(
                    provider=self.name, tokens=tokens, http=self._http(), timeout=self.flow.timeout
                )
            )
        except ProviderError as exc:
            return failure(exc)
        return await self._ask_verify(request, profile)
