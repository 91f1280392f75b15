"""Presets for common providers: a provider is a few lines of configuration.

Every endpoint is a keyword argument with the real default, so tests and staging
point them at local peers. Each preset returns a ready strategy::

    auth.use(providers.github(client_id=..., client_secret=..., verify=sign_in,
                              callback_url="https://app.example/auth/github/callback"))
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gatepass.errors import ConfigurationError, ProviderError
from gatepass.strategies.oauth._flow import Verify
from gatepass.strategies.oauth._profile import ProviderProfile, asserted_true, optional_text
from gatepass.strategies.oauth.oauth2 import OAuth2Strategy, ProfileFetcher, ProfileRequest
from gatepass.strategies.oauth.oidc import OIDCStrategy, standard_profile
from gatepass.strategies.oauth.options import OAuth2Options, OIDCOptions

if TYPE_CHECKING:
    from typing_extensions import Unpack

GITHUB_AUTHORIZATION_URL = "https://github.com/login/oauth/authorize"
GITHUB_TOKEN_URL = "https://github.com/login/oauth/access_token"  # noqa: S105 (a URL)
GITHUB_API_URL = "https://api.github.com"
GOOGLE_ISSUER = "https://accounts.google.com"
MICROSOFT_LOGIN_URL = "https://login.microsoftonline.com"
_GITHUB_JSON = "application/vnd.github+json"


def github_profile(api_url: str = GITHUB_API_URL) -> ProfileFetcher:
    """Read a GitHub user: ``/user`` for the id and name, ``/user/emails`` for the email.

    The subject is GitHub's numeric user id (a login name can be renamed and reused).
    The email is the account's primary address, with its ``verified`` flag; the
    public profile email of ``/user`` is not used, as GitHub does not say whether it
    was verified.

    Args:
        api_url: the API root.

    Returns:
        The profile fetcher.
    """
    root = api_url.rstrip("/")

    async def fetch(request: ProfileRequest) -> ProviderProfile:
        user = await request.get_json(f"{root}/user", accept=_GITHUB_JSON)
        emails = await request.get_json(f"{root}/user/emails", accept=_GITHUB_JSON)
        if not isinstance(user, dict) or type(user.get("id")) is not int:
            raise ProviderError("GitHub's /user answer has no numeric id.")
        primary: Mapping[str, Any] = (
            next((e for e in emails if isinstance(e, dict) and e.get("primary") is True), {})
            if isinstance(emails, list)
            else {}
        )
        return ProviderProfile(
            provider=request.provider,
            subject=str(user["id"]),
            email=optional_text(primary.get("email")),
            email_verified=primary.get("verified") is True,
            name=optional_text(user.get("name")) or optional_text(user.get("login")),
            raw={**user, "emails": emails},
        )

    return fetch


def github(
    *,
    client_id: str,
    client_secret: str,
    callback_url: str,
    verify: Verify,
    scope: str = "read:user user:email",
    name: str = "github",
    authorization_url: str = GITHUB_AUTHORIZATION_URL,
    token_url: str = GITHUB_TOKEN_URL,
    api_url: str = GITHUB_API_URL,
    **options: Unpack[OAuth2Options],
) -> OAuth2Strategy:
    """GitHub sign-in (OAuth 2.0 with PKCE; GitHub is not an OpenID provider).

    Args:
        client_id: the OAuth app's client id.
        client_secret: the OAuth app's client secret.
        callback_url: the app's callback URL as registered on GitHub.
        verify: ``verify(profile)`` -> the app's user (see ``OAuth2Strategy``).
        scope: ``user:email`` is needed to read the primary email.
        name: the registration name.
        authorization_url: GitHub's authorize page.
        token_url: GitHub's token endpoint.
        api_url: GitHub's API root.
        **options: more ``OAuth2Strategy`` options (``client``, ``timeout``...);
            ``client_auth`` is ``client_secret_post`` unless given.

    Returns:
        The strategy.

    Raises:
        TypeError: an option ``OAuth2Strategy`` does not take.
    """
    options.setdefault("client_auth", "client_secret_post")
    return OAuth2Strategy(
        authorization_url,
        token_url,
        client_id,
        client_secret,
        callback_url,
        scope,
        profile=github_profile(api_url),
        verify=verify,
        name=name,
        **options,
    )


def google(
    *,
    client_id: str,
    client_secret: str,
    callback_url: str,
    verify: Verify,
    scope: str = "openid email profile",
    name: str = "google",
    issuer: str = GOOGLE_ISSUER,
    **options: Unpack[OIDCOptions],
) -> OIDCStrategy:
    """Google sign-in (OpenID Connect; Google asserts ``email_verified``).

    Args:
        client_id: the OAuth client id from the Google Cloud console.
        client_secret: its secret.
        callback_url: an authorized redirect URI of that client.
        verify: ``verify(profile)`` -> the app's user (see ``OIDCStrategy``).
        scope: the scopes.
        name: the registration name.
        issuer: the issuer (tests point it at a local provider).
        **options: more ``OIDCStrategy`` options (``authorization_params={"hd": ...}``).

    Returns:
        The strategy.

    Raises:
        TypeError: an option ``OIDCStrategy`` does not take.
    """
    return OIDCStrategy(
        issuer, client_id, client_secret, callback_url, scope, verify=verify, name=name, **options
    )


def microsoft_profile(provider: str, claims: Mapping[str, Any]) -> ProviderProfile:
    """Map Microsoft identity platform claims, trusting the email only when verified.

    Microsoft's ``email`` claim can be set by a tenant administrator to any address
    and is not verified ("nOAuth", 2023); only ``xms_edov: true`` (email domain owner
    verified, an optional claim) marks it verified. Without it, the email can never
    link an existing account.

    Args:
        provider: the strategy name.
        claims: the ID token claims.

    Returns:
        The profile.
    """
    profile = standard_profile(provider, claims)
    verified = asserted_true(claims.get("xms_edov"))
    email = profile.email or optional_text(claims.get("preferred_username"))
    return ProviderProfile(
        provider=profile.provider,
        subject=profile.subject,
        email=email if email and "@" in email else None,
        email_verified=verified and email is not None,
        name=profile.name,
        raw=profile.raw,
    )


def microsoft(
    *,
    client_id: str,
    client_secret: str,
    callback_url: str,
    verify: Verify,
    tenant: str,
    scope: str = "openid email profile",
    name: str = "microsoft",
    issuer: str | None = None,
    **options: Unpack[OIDCOptions],
) -> OIDCStrategy:
    """Microsoft (Entra ID) sign-in for one tenant (OpenID Connect).

    The ``common``, ``organizations`` and ``consumers`` endpoints publish an issuer
    template, not an issuer, so they cannot pass the exact issuer check; give a
    tenant id (a GUID), or ``9188040d-6c67-4c5b-b112-36a304b66dad`` for personal
    Microsoft accounts.

    Args:
        client_id: the app registration's client id.
        client_secret: its secret.
        callback_url: a redirect URI of the registration.
        verify: ``verify(profile)`` -> the app's user (see ``OIDCStrategy``).
        tenant: the directory (tenant) id.
        scope: the scopes.
        name: the registration name.
        issuer: overrides ``https://login.microsoftonline.com/{tenant}/v2.0`` (tests).
        **options: more ``OIDCStrategy`` options.

    Returns:
        The strategy.

    Raises:
        ConfigurationError: ``tenant`` is ``common``, ``organizations`` or ``consumers``.
        TypeError: an option ``OIDCStrategy`` does not take.
    """
    if tenant in {"common", "organizations", "consumers"} and issuer is None:
        raise ConfigurationError(
            f"tenant={tenant!r} has no single issuer to check ID tokens against; give the "
            "tenant id (GUID) of the directory, or 9188040d-6c67-4c5b-b112-36a304b66dad "
            "for personal Microsoft accounts."
        )
    options.setdefault("profile", microsoft_profile)
    return OIDCStrategy(
        issuer or f"{MICROSOFT_LOGIN_URL}/{tenant}/v2.0",
        client_id,
        client_secret,
        callback_url,
        scope,
        verify=verify,
        name=name,
        **options,
    )
