"""One error tree for gatepass.

Every error carries a short machine ``code`` (stable, safe to show to clients), an
HTTP ``status_code`` and a human ``message`` a developer can act on. Third-party
exceptions are translated into these at the one module that calls the library.

::

    GatepassError                        500 gatepass_error
    ├── ConfigurationError               500 configuration_error
    │   ├── InvalidKeyError              500 invalid_key
    │   └── DurationError                500 invalid_duration   (also a ValueError)
    ├── TokenError                       401 invalid_token
    │   ├── MalformedTokenError          401 malformed_token
    │   ├── UnsupportedAlgorithmError    401 unsupported_algorithm
    │   ├── KeyMismatchError             401 key_mismatch
    │   ├── UnknownKeyError              401 unknown_key
    │   ├── BadSignatureError            401 bad_signature
    │   ├── RevokedTokenError            401 token_revoked
    │   ├── WrongTokenTypeError          401 wrong_token_type
    │   ├── OneTimeTokenError            400 invalid_token       (mailed links and codes)
    │   └── ClaimError                   401 invalid_claim
    │       ├── ExpiredTokenError        401 token_expired       (expired_at)
    │       ├── ImmatureTokenError       401 token_not_yet_valid (not_before, date)
    │       ├── MissingClaimError        401 missing_claim       (claim)
    │       ├── InvalidAudienceError     401 invalid_audience
    │       ├── InvalidIssuerError       401 invalid_issuer
    │       └── InvalidSubjectError      401 invalid_subject
    ├── KeySetUnavailableError           503 jwks_unavailable
    ├── AuthenticationError              401 unauthenticated     (challenges)
    │   ├── MissingCredentialsError      400 missing_credentials
    │   └── InvalidCredentialsError      401 invalid_credentials
    ├── PermissionDeniedError            403 forbidden
    │   └── EmailNotVerifiedError        403 email_not_verified
    ├── CSRFError                        403 csrf_failed
    ├── RateLimitedError                 429 rate_limited        (retry_after)
    ├── StoreUnavailableError            503 store_unavailable
    ├── UserExistsError                  409 user_exists
    ├── AccountLinkRequiredError         409 account_link_required
    ├── IdentityLinkedError              409 identity_linked
    ├── ProviderError                    502 provider_error
    │   └── ProviderUnavailableError     503 provider_unavailable
    ├── InvalidEmailError                422 invalid_email
    ├── PasswordPolicyError              422 weak_password       (reasons)
    ├── InvalidMFACodeError              401 invalid_mfa_code    (an AuthenticationError)
    ├── PasskeyError                     401 invalid_passkey     (an AuthenticationError)
    └── MFAStateError                    409 mfa_state
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime


class GatepassError(Exception):
    """Base of every error gatepass raises on purpose."""

    code: str = "gatepass_error"
    status_code: int = 500
    default_message: str = "An authentication error occurred."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)

    def to_dict(self) -> dict[str, str]:
        """The JSON body a client sees: ``{"error": code, "message": text}``."""
        return {"error": self.code, "message": self.message}


class ConfigurationError(GatepassError):
    """gatepass was wired or configured wrongly; the message says how to fix it."""

    code = "configuration_error"
    default_message = "gatepass is not configured correctly."


class InvalidKeyError(ConfigurationError):
    """A key could not be loaded, or does not fit its algorithm."""

    code = "invalid_key"
    default_message = "The key is not usable."


class DurationError(ConfigurationError, ValueError):
    """A duration such as ``"15m"`` could not be understood."""

    code = "invalid_duration"
    default_message = "Not a duration; use seconds, a timedelta or text like '15m', '2 days'."


class TokenError(GatepassError):
    """A token was refused."""

    code = "invalid_token"
    status_code = 401
    default_message = "The token is not valid."


class MalformedTokenError(TokenError):
    """The token is not a well-formed compact JWS/JWT."""

    code = "malformed_token"
    default_message = "The token is malformed."


class UnsupportedAlgorithmError(TokenError):
    """The token names an algorithm that is not allowed here."""

    code = "unsupported_algorithm"
    default_message = "The token's algorithm is not allowed."


class KeyMismatchError(TokenError):
    """The token's algorithm is not the algorithm pinned to the key."""

    code = "key_mismatch"
    default_message = "The token's algorithm does not match the key's algorithm."


class UnknownKeyError(TokenError):
    """No key with the token's ``kid`` is known."""

    code = "unknown_key"
    default_message = "The token was signed with an unknown key."


class BadSignatureError(TokenError):
    """The signature does not verify."""

    code = "bad_signature"
    default_message = "The token's signature is not valid."


class RevokedTokenError(TokenError):
    """The token was revoked."""

    code = "token_revoked"
    default_message = "The token has been revoked."


class WrongTokenTypeError(TokenError):
    """A token of one kind was presented where another is expected."""

    code = "wrong_token_type"
    default_message = "The token is not of the expected type."


class ClaimError(TokenError):
    """A claim failed validation."""

    code = "invalid_claim"
    default_message = "A token claim is not valid."


class ExpiredTokenError(ClaimError):
    """The token's ``exp`` has passed."""

    code = "token_expired"
    default_message = "The token has expired."

    def __init__(self, message: str | None = None, *, expired_at: datetime | None = None) -> None:
        super().__init__(message)
        self.expired_at = expired_at


class ImmatureTokenError(ClaimError):
    """The token's ``nbf`` (or ``iat``) is in the future."""

    code = "token_not_yet_valid"
    default_message = "The token is not valid yet."

    def __init__(self, message: str | None = None, *, not_before: datetime | None = None) -> None:
        super().__init__(message)
        self.not_before = not_before

    @property
    def date(self) -> datetime | None:
        """``not_before`` under jsonwebtoken's ``NotBeforeError.date`` name."""
        return self.not_before


class MissingClaimError(ClaimError):
    """A required claim is absent."""

    code = "missing_claim"
    default_message = "A required claim is missing."

    def __init__(self, message: str | None = None, *, claim: str = "") -> None:
        super().__init__(message or f"The token has no '{claim}' claim.")
        self.claim = claim


class InvalidAudienceError(ClaimError):
    """The token's ``aud`` does not name this audience."""

    code = "invalid_audience"
    default_message = "The token is not meant for this audience."


class InvalidIssuerError(ClaimError):
    """The token's ``iss`` is not the expected issuer."""

    code = "invalid_issuer"
    default_message = "The token was issued by an unexpected issuer."


class InvalidSubjectError(ClaimError):
    """The token's ``sub`` is not the expected subject."""

    code = "invalid_subject"
    default_message = "The token's subject is not the expected one."


class KeySetUnavailableError(GatepassError):
    """A remote key set could not be fetched and nothing usable is cached."""

    code = "jwks_unavailable"
    status_code = 503
    default_message = "The issuer's keys cannot be fetched right now."


class AuthenticationError(GatepassError):
    """Authentication failed; ``challenges`` feed ``WWW-Authenticate``."""

    code = "unauthenticated"
    status_code = 401
    default_message = "Authentication is required."

    def __init__(self, message: str | None = None, *, challenges: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.challenges = tuple(challenges)


class MissingCredentialsError(AuthenticationError):
    """The request carried no credentials the strategy could read."""

    code = "missing_credentials"
    status_code = 400
    default_message = "Missing credentials."


class InvalidCredentialsError(AuthenticationError):
    """The credentials were read and refused."""

    code = "invalid_credentials"
    default_message = "Invalid credentials."


class PermissionDeniedError(GatepassError):
    """The user is known but lacks a required scope."""

    code = "forbidden"
    status_code = 403
    default_message = "You do not have permission to do this."


class EmailNotVerifiedError(PermissionDeniedError):
    """The account's email address is not verified yet, and the server requires it."""

    code = "email_not_verified"
    default_message = "Confirm your email address first: open the link we mailed you."


class CSRFError(GatepassError):
    """An unsafe request arrived without a valid CSRF token."""

    code = "csrf_failed"
    status_code = 403
    default_message = "The form has expired or did not come from this site; reload it and retry."


class RateLimitedError(GatepassError):
    """Too many attempts; retry after ``retry_after`` seconds."""

    code = "rate_limited"
    status_code = 429
    default_message = "Too many attempts; try again later."

    def __init__(self, message: str | None = None, *, retry_after: int = 60) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class StoreUnavailableError(GatepassError):
    """A backing store (sessions, tokens, users) cannot be reached; fail closed."""

    code = "store_unavailable"
    status_code = 503
    default_message = "A backing service is unavailable; try again shortly."


class UserExistsError(GatepassError):
    """A user with this email already exists."""

    code = "user_exists"
    status_code = 409
    default_message = "An account with this email already exists."


class AccountLinkRequiredError(GatepassError):
    """A provider sign-in matches an existing account by an email it has not verified."""

    code = "account_link_required"
    status_code = 409
    default_message = (
        "An account with this email already exists. Sign in with your password, then "
        "link this provider from your dashboard."
    )


class IdentityLinkedError(GatepassError):
    """A provider account is already linked to another user."""

    code = "identity_linked"
    status_code = 409
    default_message = "This sign-in provider account is already linked to another user."


class ProviderError(GatepassError):
    """An OAuth/OpenID provider answered with an error or a response that is not valid."""

    code = "provider_error"
    status_code = 502
    default_message = "The sign-in provider gave an answer that cannot be used."


class ProviderUnavailableError(ProviderError):
    """An OAuth/OpenID provider cannot be reached."""

    code = "provider_unavailable"
    status_code = 503
    default_message = "The sign-in provider cannot be reached right now; try again shortly."


class InvalidEmailError(GatepassError):
    """The text given as an email address cannot be one."""

    code = "invalid_email"
    status_code = 422
    default_message = "Enter an email address like name@example.com."


class PasswordPolicyError(GatepassError):
    """A new password does not meet the policy; ``reasons`` lists why."""

    code = "weak_password"
    status_code = 422
    default_message = "The password does not meet the policy."

    def __init__(self, message: str | None = None, *, reasons: Sequence[str] = ()) -> None:
        super().__init__(message or (" ".join(reasons) if reasons else None))
        self.reasons = tuple(reasons)


class OneTimeTokenError(TokenError):
    """A mailed link or code is unknown, spent, expired, or no longer matches the account.

    The client sent a bad value in a request body, not bad credentials: 400, with the
    parent's code ``invalid_token`` (the server contract).
    """

    status_code = 400
    default_message = "This link or code is invalid or has expired. Ask for a new one."


class InvalidMFACodeError(AuthenticationError):
    """A second-factor code is wrong, already used, or its challenge is spent or expired."""

    code = "invalid_mfa_code"
    default_message = "The code is incorrect or has already been used."


class PasskeyError(AuthenticationError):
    """A passkey ceremony failed: wrong origin or RP ID, bad signature, unknown credential."""

    code = "invalid_passkey"
    default_message = "The passkey could not be verified."


class MFAStateError(GatepassError):
    """The second factor is not in the state the action needs (already on, not set up)."""

    code = "mfa_state"
    status_code = 409
    default_message = "Two-step verification is not in the state this action needs."
