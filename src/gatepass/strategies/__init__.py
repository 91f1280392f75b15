"""Strategies: each reads one kind of credential and returns an outcome."""

from gatepass.strategies import extractors, providers
from gatepass.strategies.anonymous import AnonymousStrategy
from gatepass.strategies.api_key import (
    APIKeyRecord,
    APIKeyStrategy,
    generate_api_key,
    hash_api_key,
)
from gatepass.strategies.base import Strategy
from gatepass.strategies.custom import CustomStrategy
from gatepass.strategies.http_basic import HTTPBasicStrategy
from gatepass.strategies.jwt import JWTStrategy
from gatepass.strategies.local import LocalStrategy
from gatepass.strategies.oauth2 import OAuth2Strategy, ProfileRequest, ProviderProfile
from gatepass.strategies.oidc import OIDCStrategy
from gatepass.strategies.outcomes import PASS, Error, Fail, Outcome, Pass, Redirect, Success
from gatepass.strategies.session import SessionStrategy

__all__ = [
    "PASS",
    "APIKeyRecord",
    "APIKeyStrategy",
    "AnonymousStrategy",
    "CustomStrategy",
    "Error",
    "Fail",
    "HTTPBasicStrategy",
    "JWTStrategy",
    "LocalStrategy",
    "OAuth2Strategy",
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
