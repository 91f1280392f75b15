"""OpenID Connect sign-in: discovery, code flow with PKCE and nonce, a verified ID token.

The ID token is checked with the issuer's published keys (a ``RemoteKeySet``) by a
gatepass ``Verifier`` pinned to the algorithms the discovery document allows, then for
``nonce``, ``azp`` and ``sub`` as OpenID Connect Core 1.0 §3.1.3.7 asks.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import HTTPConnection

from gatepass.errors import (
    ConfigurationError,
    KeySetUnavailableError,
    ProviderError,
    ProviderUnavailableError,
    TokenError,
)
from gatepass.strategies.oauth._discovery import Discovery, ProviderMetadata
from gatepass.strategies.oauth._flow import Verify, failure, is_callback, scope_text
from gatepass.strategies.oauth._http import TokenResponse, get_json
from gatepass.strategies.oauth._profile import (
    ProfileMapper,
    ProviderProfile,
    asserted_true,
    optional_text,
)
from gatepass.strategies.oauth._state import PendingLogin
from gatepass.strategies.oauth._strategy import CodeFlowStrategy
from gatepass.strategies.oauth.options import OIDCOptions
from gatepass.strategies.outcomes import Fail, Outcome
from gatepass.tokens import RemoteKeySet, Verifier

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["OIDCStrategy", "ProfileMapper", "standard_profile"]


def standard_profile(provider: str, claims: Mapping[str, Any]) -> ProviderProfile:
    """Map standard OIDC claims (``sub``, ``email``, ``email_verified``, ``name``).

    Args:
        provider: the strategy name.
        claims: the ID token claims, merged with userinfo when fetched.

    Returns:
        The profile.
    """
    return ProviderProfile(
        provider=provider,
        subject=str(claims["sub"]),
        email=optional_text(claims.get("email")),
        email_verified=asserted_true(claims.get("email_verified")),
        name=optional_text(claims.get("name")),
        raw=dict(claims),
    )


class OIDCStrategy(CodeFlowStrategy):
    """Sign in through an OpenID Provider found by discovery.

    Args:
        issuer: the issuer identifier, e.g. ``https://accounts.google.com``.
        client_id: this app's client id (the ID token's audience).
        client_secret: this app's client secret.
        callback_url: the absolute redirect URI registered with the provider.
        scope: scopes to ask for; ``openid`` is required.
        verify: ``verify(profile)``, sync or async: the app's user, ``None`` to
            refuse, or ``(user, info)``; an error it raises with a status below 500
            (``AccountLinkRequiredError``) becomes a ``Fail`` with its message.
        name: the registration name; also ``ProviderProfile.provider``.
        **options: :class:`~gatepass.strategies.oauth.options.OIDCOptions`
            (``fetch_userinfo``, ``profile``, ``leeway``, ``discovery_ttl``) and every
            ``OAuth2Options`` key (``pass_request``, ``client``, ``client_auth``...).
            Without ``client_auth``, the token endpoint authentication is the first
            of basic and post that the discovery document lists.

    Raises:
        ConfigurationError: missing credentials, a relative callback URL, or a scope
            without ``openid``.
        TypeError: an option this strategy does not take.
    """

    accepts: ClassVar[frozenset[str]] = OIDCOptions.__optional_keys__

    def __init__(
        self,
        issuer: str,
        client_id: str,
        client_secret: str,
        callback_url: str,
        scope: str = "openid email profile",
        *,
        verify: Verify,
        name: str = "oidc",
        **options: Unpack[OIDCOptions],
    ) -> None:
        if "openid" not in scope_text(scope).split():
            raise ConfigurationError("An OpenID Connect scope must include 'openid'.")
        super().__init__(
            name=name,
            client_id=client_id,
            client_secret=client_secret,
            callback_url=callback_url,
            scope=scope,
            verify=verify,
            options=options,
        )
        self.issuer = issuer
        self.client_id = client_id
        self._fetch_userinfo = options.get("fetch_userinfo", False)
        self._profile = options.get("profile", standard_profile)
        self._leeway = options.get("leeway", timedelta(seconds=30))
        self.discovery = Discovery(
            issuer,
            http=self._http,
            ttl=options.get("discovery_ttl", timedelta(hours=1)),
            time_limit=self.flow.timeout,
        )
        self._verifier: Verifier | None = None
        self._keys: RemoteKeySet | None = None

    def _verifier_for(self, metadata: ProviderMetadata) -> Verifier:
        keys = self._keys
        if keys is None or keys.url != metadata.jwks_uri:
            keys = self._keys = RemoteKeySet(metadata.jwks_uri, client=self._http())
            self._verifier = None
        if self._verifier is None:
            # OIDC Core §3.1.3.7: iss must match exactly, aud must contain client_id,
            # exp and iat are required; algorithms are those the issuer announced
            # (asymmetric only, RFC 8725 §3.1), each key pinned to its own algorithm.
            self._verifier = Verifier(
                keys=keys,
                audience=self.client_id,
                issuer=self.issuer,
                algorithms=metadata.id_token_algorithms,
                leeway=self._leeway,
                require=("exp", "iat", "sub", "aud", "iss"),
                clock=self.flow.clock,
            )
        return self._verifier

    async def authenticate(self, request: HTTPConnection, **options: Any) -> Outcome:
        """Redirect to the provider, or finish the login on its callback.

        Args:
            request: the request (its session holds the pending login).
            **options: ignored.

        Returns:
            ``Redirect`` (step 1), ``Success`` or ``Fail`` (the callback; a provider
            that cannot be reached gives a 503 ``Fail``).

        Raises:
            ConfigurationError: no session middleware in front of the route.
        """
        try:
            metadata = await self.discovery.get()
        except ProviderError as exc:
            if is_callback(request):
                self.flow.returned(request)  # still spend the pending login
            return failure(exc)
        if not is_callback(request):
            return self.flow.start(request, metadata.authorization_endpoint, with_nonce=True)
        pending = self.flow.returned(request)
        if isinstance(pending, Fail):
            return pending
        returned_iss = request.query_params.get("iss")
        # RFC 9207 §2.4: a callback naming another issuer is a mix-up attack.
        if (returned_iss is not None or metadata.iss_parameter_supported) and (
            returned_iss != self.issuer
        ):
            return Fail(
                message="The sign-in came back from an unexpected issuer.", code="invalid_issuer"
            )
        try:
            tokens = await self.flow.exchange(
                request,
                metadata.token_endpoint,
                pending,
                auth_methods=metadata.token_auth_methods,
            )
            claims = await self._id_token_claims(request, metadata, tokens, pending)
            if self._fetch_userinfo:
                claims = await self._with_userinfo(metadata, tokens, claims)
        except ProviderError as exc:
            return failure(exc)
        except KeySetUnavailableError:
            return failure(
                ProviderUnavailableError("The sign-in provider's keys cannot be fetched right now.")
            )
        except TokenError as exc:
            return Fail(message=f"The sign-in could not be verified: {exc.message}", code=exc.code)
        profile = self._profile(self.name, claims)
        return await self._ask_verify(request, profile)

    async def _id_token_claims(
        self,
        request: HTTPConnection,
        metadata: ProviderMetadata,
        tokens: TokenResponse,
        pending: PendingLogin,
    ) -> dict[str, Any]:
        if not tokens.id_token:
            raise ProviderError("The provider's token answer has no id_token.")
        claims = await self._verifier_for(metadata).verify_async(tokens.id_token, request)
        nonce = claims.get("nonce")
        # OIDC Core §3.1.2.1 / §3.1.3.7 item 11: the nonce binds the ID token to this
        # browser's login, so a token injected from elsewhere is refused.
        expected = pending.nonce or ""
        if not isinstance(nonce, str) or not hmac.compare_digest(nonce.encode(), expected.encode()):
            raise TokenError("The ID token's nonce does not match this sign-in.")
        aud = claims.get("aud")
        azp = claims.get("azp")
        # OIDC Core §3.1.3.7 items 4-5: with several audiences azp is required, and
        # when present it must be this client.
        if isinstance(aud, list) and len(aud) > 1 and azp is None:
            raise TokenError("The ID token has several audiences and no azp.")
        if azp is not None and azp != self.client_id:
            raise TokenError("The ID token was issued to another client (azp).")
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise TokenError("The ID token has no subject.")
        return claims

    async def _with_userinfo(
        self, metadata: ProviderMetadata, tokens: TokenResponse, claims: dict[str, Any]
    ) -> dict[str, Any]:
        if metadata.userinfo_endpoint is None:
            raise ProviderError("The provider has no userinfo endpoint.")
        info = await get_json(
            self._http(),
            metadata.userinfo_endpoint,
            what="userinfo",
            time_limit=self.flow.timeout,
            access_token=tokens.access_token,
        )
        if not isinstance(info, dict):
            raise ProviderError("The provider's userinfo answer is not a JSON object.")
        # OIDC Core §5.3.2: userinfo about another subject must not be used.
        if info.get("sub") != claims["sub"]:
            raise ProviderError("The userinfo answer is about another subject.")
        return {**claims, **info}

    async def aclose(self) -> None:
        """Close the key set and the HTTP client if this strategy made it."""
        if self._keys is not None:
            await self._keys.aclose()
        await super().aclose()
