"""Tokens: JWT sign/verify, keys and key sets, remote JWKS, cache, refresh and revocation."""

from gatepass.tokens.algorithms import ALGORITHMS, Algorithm
from gatepass.tokens.cache import VerifiedTokenCache
from gatepass.tokens.durations import Duration, parse_duration
from gatepass.tokens.jws import UnverifiedToken, decode_unverified, sign_jws, verify_jws
from gatepass.tokens.keys import Key
from gatepass.tokens.keyset import KeySet
from gatepass.tokens.refresh import (
    IssuedRefreshToken,
    RefreshTokenService,
    hash_refresh_token,
    new_refresh_token,
)
from gatepass.tokens.remote import RemoteKeySet
from gatepass.tokens.revocation import FAMILY_CLAIM, RevocationList
from gatepass.tokens.service import AT_JWT_TYP, TokenPair, TokenService
from gatepass.tokens.signing import sign, verify
from gatepass.tokens.verifier import KeyResolver, RevocationCheck, Verifier

__all__ = [
    "ALGORITHMS",
    "AT_JWT_TYP",
    "FAMILY_CLAIM",
    "Algorithm",
    "Duration",
    "IssuedRefreshToken",
    "Key",
    "KeyResolver",
    "KeySet",
    "RefreshTokenService",
    "RemoteKeySet",
    "RevocationCheck",
    "RevocationList",
    "TokenPair",
    "TokenService",
    "UnverifiedToken",
    "VerifiedTokenCache",
    "Verifier",
    "decode_unverified",
    "hash_refresh_token",
    "new_refresh_token",
    "parse_duration",
    "sign",
    "sign_jws",
    "verify",
    "verify_jws",
]
