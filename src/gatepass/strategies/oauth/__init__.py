"""OAuth 2.0 and OpenID Connect sign-in: the code flow strategies and provider presets.

``OAuth2Strategy`` (any OAuth 2.0 provider, passport-oauth2), ``OIDCStrategy``
(an OpenID Provider found by discovery, with a verified ID token), and
:mod:`.providers` (GitHub, Google, Microsoft). Their optional keywords are
:class:`OAuth2Options` and :class:`OIDCOptions`.
"""

from gatepass.strategies.oauth import providers
from gatepass.strategies.oauth._profile import ProfileMapper, ProviderProfile
from gatepass.strategies.oauth.oauth2 import (
    OAuth2Strategy,
    ProfileFetcher,
    ProfileRequest,
    TokenResponse,
    userinfo_profile,
)
from gatepass.strategies.oauth.oidc import OIDCStrategy, standard_profile
from gatepass.strategies.oauth.options import OAuth2Options, OIDCOptions

__all__ = [
    "OAuth2Options",
    "OAuth2Strategy",
    "OIDCOptions",
    "OIDCStrategy",
    "ProfileFetcher",
    "ProfileMapper",
    "ProfileRequest",
    "ProviderProfile",
    "TokenResponse",
    "providers",
    "standard_profile",
    "userinfo_profile",
]
