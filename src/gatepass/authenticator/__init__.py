"""The Passport core: the Authenticator, its guards, hooks and request user."""

from gatepass._lazy import lazy_attributes
from gatepass.authenticator.authenticate import (
    AuthenticateHandler,
    AuthenticateKeywords,
    AuthenticateOptions,
)
from gatepass.authenticator.authenticator import (
    RETURN_TO_SESSION_KEY,
    USERS_SESSION_KEY,
    Authenticator,
)
from gatepass.authenticator.guards import WS_POLICY_VIOLATION, Guard
from gatepass.authenticator.hooks import Hooks
from gatepass.authenticator.keys import SESSION_TEXT
from gatepass.authenticator.registry import Attempt
from gatepass.authenticator.responses import Halt, error_response
from gatepass.authenticator.user import AuthenticatedUser, Credentials
from gatepass.strategies.outcomes import PASS, Error, Fail, Outcome, Pass, Redirect, Success

__all__ = [
    "PASS",
    "RETURN_TO_SESSION_KEY",
    "SESSION_TEXT",
    "USERS_SESSION_KEY",
    "WS_POLICY_VIOLATION",
    "Attempt",
    "AuthenticateHandler",
    "AuthenticateKeywords",
    "AuthenticateOptions",
    "AuthenticatedUser",
    "Authenticator",
    "Credentials",
    "Error",
    "Fail",
    "Guard",
    "Halt",
    "Hooks",
    "Outcome",
    "Pass",
    "Redirect",
    "Success",
    "error_response",
]

# ``wants_html`` is an HTTP helper, not part of the Passport core; its public home is
# gatepass.integrations.
__getattr__ = lazy_attributes(
    __name__,
    {"wants_html": "gatepass._http"},
    deprecated={"wants_html": "gatepass.integrations.wants_html"},
)
