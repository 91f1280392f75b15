"""gatepass: authentication for Python web applications.

The nouns most apps need are here; each subpackage (``gatepass.tokens``,
``gatepass.sessions``, ``gatepass.strategies``, ...) exports the rest.
"""

from gatepass import jwt
from gatepass.authenticator import Authenticator
from gatepass.errors import GatepassError
from gatepass.integrations import AuthMiddleware, install_error_handlers
from gatepass.passwords import PasswordHasher, PasswordPolicy, verify_credentials
from gatepass.security import CSRFMiddleware, csrf_token
from gatepass.sessions import SessionMiddleware, flash, get_flashed_messages
from gatepass.strategies import (
    PASS,
    APIKeyStrategy,
    CustomStrategy,
    Fail,
    HTTPBasicStrategy,
    JWTStrategy,
    LocalStrategy,
    Redirect,
    SessionStrategy,
    Strategy,
    Success,
)
from gatepass.tokens import Key, KeySet, RemoteKeySet, TokenService, Verifier, parse_duration
from gatepass.users import User, UserStore

__all__ = [
    "PASS",
    "APIKeyStrategy",
    "AuthMiddleware",
    "Authenticator",
    "CSRFMiddleware",
    "CustomStrategy",
    "Fail",
    "GatepassError",
    "HTTPBasicStrategy",
    "JWTStrategy",
    "Key",
    "KeySet",
    "LocalStrategy",
    "PasswordHasher",
    "PasswordPolicy",
    "Redirect",
    "RemoteKeySet",
    "SessionMiddleware",
    "SessionStrategy",
    "Strategy",
    "Success",
    "TokenService",
    "User",
    "UserStore",
    "Verifier",
    "csrf_token",
    "flash",
    "get_flashed_messages",
    "install_error_handlers",
    "jwt",
    "parse_duration",
    "verify_credentials",
]
__version__ = "0.1.0"
