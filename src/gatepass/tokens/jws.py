"""Compact JWS (RFC 7515): strict parsing, header policy, sign and verify.

Signing is kept apart from claims (PyJWT's ``api_jws``/``api_jwt`` split): this
module knows bytes and headers; :mod:`gatepass.tokens.claims` knows JWT claims.
"""

from __future__ import annotations

import binascii
from typing import Any, Final, NamedTuple

import orjson

from gatepass.errors import (
    BadSignatureError,
    KeyMismatchError,
    MalformedTokenError,
    UnsupportedAlgorithmError,
)

from ._echo import echo
from ._encoding import PADDING, TAILS, TO_STRICT, b64decode, b64encode, loads_object
from .algorithms import ALGORITHMS
from .keys import Key
from .keyset import KeySet

__all__ = ["UnverifiedToken", "decode_unverified", "sign_jws", "verify_jws"]

# Headers that point at or carry a key chosen by the token's author: trusting them
# lets anyone sign (RFC 8725 §3.10, CVE-2018-0114). gatepass picks keys itself.
FORBIDDEN_HEADERS: Final = frozenset({"jku", "jwk", "x5u", "x5c"})
MAX_TOKEN_BYTES: Final = 16 * 1024
# A real protected header is a few hundred bytes (alg, kid, typ); the cap bounds the
# work done on unauthenticated input before the signature check (CWE-400).
MAX_HEADER_BYTES: Final = 4 * 1024


_a2b = binascii.a2b_base64


class UnverifiedToken(NamedTuple):
    """Header and claims of a token whose signature was NOT checked."""

    header: dict[str, Any]
    claims: dict[str, Any]


def split(token: str | bytes) -> tuple[bytes, bytes, bytes, bytes]:
    """Split a compact JWS strictly and decode its payload and signature.

    Args:
        token: ``header.payload.signature``, base64url without padding.

    Returns:
        ``(header_b64, payload, signing_input, signature)``; the header is still
        encoded (see :func:`parse_header`).

    Raises:
        MalformedTokenError: not three strict base64url segments.
    """
    if type(token) is str:
        try:
            data = token.encode("ascii")
        except UnicodeEncodeError:
            raise MalformedTokenError("The token contains non-ASCII characters.") from None
    elif isinstance(token, bytes):
        data = token
    else:
        raise MalformedTokenError(f"A token is a string, not {type(token).__name__}.")
    first = data.find(b".")
    last = data.rfind(b".")
    if first <= 0 or first == last or last == len(data) - 1 or len(data) > MAX_TOKEN_BYTES:
        raise MalformedTokenError(
            "The token is not a compact JWS: three base64url parts joined by '.' (RFC 7515 §7.1)."
        )
    # One translation serves both decodes; strict decoding then refuses every
    # character outside base64url, '=' padding and extra dots included
    # (base64.urlsafe_b64decode would skip stray characters silently).
    standard = data[first + 1 :].translate(TO_STRICT)
    middle = last - first - 1
    payload_b64 = standard[:middle]
    signature_b64 = standard[middle + 1 :]
    # Canonical tails only (RFC 4648 §3.5): inline, as this runs for every token.
    if (
        data[first - 1] not in TAILS[first & 3]
        or signature_b64[-1] not in TAILS[len(signature_b64) & 3]
        or (middle and payload_b64[-1] not in TAILS[middle & 3])
    ):
        raise MalformedTokenError("The token has a non-canonical base64url part (RFC 4648 §3.5).")
    try:
        payload = _a2b(payload_b64 + PADDING[len(payload_b64) & 3], strict_mode=True)
        signature = _a2b(signature_b64 + PADDING[len(signature_b64) & 3], strict_mode=True)
    except binascii.Error:
        raise MalformedTokenError(
            "The token is not strict base64url: no '=' padding, spaces or other characters "
            "(RFC 7515 §2)."
        ) from None
    return data[:first], payload, data[:last], signature


def parse_header(header_b64: bytes) -> dict[str, Any]:
    """Decode and check a protected header.

    Args:
        header_b64: the first segment of a token (already checked by :func:`split`).

    Returns:
        The header.

    Raises:
        MalformedTokenError: too long, bad JSON, duplicate names, forbidden or
            critical headers.
        UnsupportedAlgorithmError: ``alg`` is ``none`` or not a known JWS algorithm.
    """
    if len(header_b64) > MAX_HEADER_BYTES:
        raise MalformedTokenError(f"The token header is longer than {MAX_HEADER_BYTES} characters.")
    header = loads_object(b64decode(header_b64), "header")
    alg = header.get("alg")
    if type(alg) is not str:
        raise MalformedTokenError("The token header has no 'alg' string.")
    if alg not in ALGORITHMS:
        if alg.lower() == "none":
            # Unsigned tokens are never accepted, whatever the case (RFC 8725 §3.2).
            raise UnsupportedAlgorithmError("Unsigned tokens (alg 'none') are never accepted.")
        raise UnsupportedAlgorithmError(f"The token algorithm {echo(alg)} is not supported.")
    if len(header) > 1:
        _check_extra_members(header)
    return header


def _check_extra_members(header: dict[str, Any]) -> None:
    if FORBIDDEN_HEADERS.isdisjoint(header) and "crit" not in header and "b64" not in header:
        for name in ("kid", "typ", "cty"):
            if name in header and type(header[name]) is not str:
                raise MalformedTokenError(f"The token header '{name}' must be a string.")
        return
    forbidden = FORBIDDEN_HEADERS.intersection(header)
    if forbidden:
        raise MalformedTokenError(
            f"The token header carries {sorted(forbidden)}; keys are never taken from "
            "the token (RFC 8725 §3.10)."
        )
    if "crit" in header:
        # No extension is understood, so any critical one must fail (RFC 7515 §4.1.11).
        raise MalformedTokenError("The token header lists critical extensions ('crit').")
    if "b64" in header:
        raise MalformedTokenError("Unencoded payloads (RFC 7797 'b64') are not accepted.")


def check_algorithm(header: dict[str, Any], key: Key) -> None:
    """Pin the algorithm to the key, never to the header (RFC 8725 §2.1, §3.1).

    Raises:
        KeyMismatchError: the header names another algorithm than the key's.
    """
    if header["alg"] != key.algorithm:
        raise KeyMismatchError(
            f"The token is signed with {header['alg']} but key {echo(key.kid)} is for "
            f"{key.algorithm}; the key decides the algorithm."
        )


def verify_jws(token: str | bytes, key: Key | KeySet) -> tuple[dict[str, Any], bytes]:
    """Verify a compact JWS (any payload, not only JWT claims) and return its parts.

    Args:
        token: the compact JWS.
        key: the key, or a key set to pick from by ``kid``; the key's algorithm is
            the only one accepted.

    Returns:
        ``(header, payload_bytes)``.

    Raises:
        MalformedTokenError: the token is not strict compact JWS.
        UnsupportedAlgorithmError: ``none`` or unknown algorithm.
        KeyMismatchError: the header's algorithm is not the key's.
        UnknownKeyError: no key of the set has the header's ``kid``.
        BadSignatureError: the signature does not verify.
    """
    header_b64, payload, signing_input, signature = split(token)
    header = parse_header(header_b64)
    if isinstance(key, KeySet):
        key = key.get(header.get("kid"))
    check_algorithm(header, key)
    if not key.verify_signature(signing_input, signature):
        raise BadSignatureError()
    return header, payload


def sign_jws(payload: bytes, key: Key, *, headers: dict[str, Any] | None = None) -> str:
    """Sign bytes as a compact JWS.

    Args:
        payload: the payload bytes.
        key: a private key (or HMAC secret); its ``alg`` and ``kid`` go in the header.
        headers: extra header members (``typ``, ``cty``...); not ``alg``/``kid``
            and none that this library would refuse on verification.

    Returns:
        The token.

    Raises:
        InvalidKeyError: the key cannot sign.
        ValueError: a refused header member.
    """
    header: dict[str, Any] = {"alg": key.algorithm, "kid": key.kid}
    if headers:
        refused = (FORBIDDEN_HEADERS | {"alg", "kid", "crit", "b64"}).intersection(headers)
        if refused:
            raise ValueError(f"Header members {sorted(refused)} are set by the key or refused.")
        header.update(headers)
    signing_input = b64encode(orjson.dumps(header)) + b"." + b64encode(payload)
    return (signing_input + b"." + b64encode(key.sign(signing_input))).decode("ascii")


def decode_unverified(token: str | bytes) -> UnverifiedToken:
    """Read a token's header and claims WITHOUT checking its signature.

    For inspection and for choosing a key only; never trust the result.

    Args:
        token: the compact JWT.

    Returns:
        ``UnverifiedToken(header, claims)``.

    Raises:
        MalformedTokenError: the token or its JSON is malformed.
        UnsupportedAlgorithmError: ``none`` or unknown algorithm.
    """
    header_b64, payload, _signing_input, _signature = split(token)
    header = parse_header(header_b64)
    return UnverifiedToken(header, loads_object(payload, "payload"))
