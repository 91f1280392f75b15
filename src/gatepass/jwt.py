"""``gatepass.jwt``: the jsonwebtoken-style face of :mod:`gatepass.tokens`.

::

    from gatepass import jwt

    key = jwt.Key.generate("ES256")
    token = jwt.sign({"role": "admin"}, key, subject="42", expires_in="15m")
    claims = jwt.verify(token, key)
"""

from gatepass.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    ImmatureTokenError,
    InvalidAudienceError,
    InvalidIssuerError,
    InvalidSubjectError,
    KeyMismatchError,
    MalformedTokenError,
    MissingClaimError,
    TokenError,
    UnknownKeyError,
    UnsupportedAlgorithmError,
)
from gatepass.tokens import (
    Key,
    KeySet,
    RemoteKeySet,
    UnverifiedToken,
    VerifiedTokenCache,
    Verifier,
    decode_unverified,
    parse_duration,
    sign,
    verify,
)

__all__ = [
    "BadSignatureError",
    "ClaimError",
    "ExpiredTokenError",
    "ImmatureTokenError",
    "InvalidAudienceError",
    "InvalidIssuerError",
    "InvalidSubjectError",
    "Key",
    "KeyMismatchError",
    "KeySet",
    "MalformedTokenError",
    "MissingClaimError",
    "RemoteKeySet",
    "TokenError",
    "UnknownKeyError",
    "UnsupportedAlgorithmError",
    "UnverifiedToken",
    "VerifiedTokenCache",
    "Verifier",
    "decode_unverified",
    "parse_duration",
    "sign",
    "verify",
]
