"""Strategies: each reads one kind of credential and returns an outcome.

OAuth 2.0 / OpenID Connect sign-in lives in :mod:`gatepass.strategies.oauth`; its
strategies and ``providers`` are re-exported here.
"""

from importlib import import_module
from typing import Any

from gatepass.strategies import extractors
from gatepass.strategies.anonymous import AnonymousStrategy
from gatepass.strategies.api_key import (
    APIKeyRecord,
    APIKeyStrategy,
    generate_api_key,
    hash_api_key,
)
from gatepass.strategies.base import Strategy
from gatepass.strategies.custom import CustomStrategy
from gatepass.strategies.email_link import EmailLinkStrategy
from gatepass.strategies.http_basic import HTTPBasicStrategy
from gatepass.strategies.jwt import JWTStrategy
from gatepass.strategies.local import LocalStrategy
from gatepass.strategies.oauth import (
    OAuth2Options,
    OAuth2Strategy,
    OIDCOptions,
    OIDCStrategy,
    ProfileRequest,
    ProviderProfile,
    providers,
)
from gatepass.strategies.outcomes import PASS, Error, Fail, Outcome, Pass, Redirect, Success
from gatepass.strategies.session import SessionStrategy

__all__ = [
    "PASS",
    "APIKeyRecord",
    "APIKeyStrategy",
    "AnonymousStrategy",
    "CustomStrategy",
    "EmailLinkStrategy",
    "Error",
    "Fail",
    "HTTPBasicStrategy",
    "JWTStrategy",
    "LocalStrategy",
    "OAuth2Options",
    "OAuth2Strategy",
    "OIDCOptions",
    "OIDCStrategy",
    "Outcome",
    "Pass",
    "ProfileRequest",
    "ProviderProfile",
    "Redirect",
    "SessionStrategy",
    "Strategy",
    "Success",
    "extractors",
    "generate_api_key",
    "hash_api_key",
    "providers",
]

# Modules that moved into ``oauth/``: ``gatepass.strategies.oauth2`` as an attribute
# still works (the old module warns, then is the new one).
_MOVED = frozenset({"oauth2", "oidc"})


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        return import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
