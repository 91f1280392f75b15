"""Hostile token text is refused as a token error, and never echoed at length."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from gatepass import jwt
from gatepass.errors import (
    InvalidIssuerError,
    InvalidSubjectError,
    MalformedTokenError,
    TokenError,
    UnknownKeyError,
    WrongTokenTypeError,
)
from gatepass.tokens import Key, KeySet, Verifier
from gatepass.tokens._encoding import b64encode

NOW = 1_700_000_000
LONG = "A" * 11_000
MESSAGE_LIMIT = 200


def clock() -> float:
    return NOW


def token(header: bytes, payload: bytes, key: Key | None = None) -> str:
    """A compact token; signed with ``key`` when given, else a dummy signature."""
    signing_input = b64encode(header) + b"." + b64encode(payload)
    signature = key.sign(signing_input) if key is not None else b"\x01" * 32
    return (signing_input + b"." + b64encode(signature)).decode()


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize("depth", [200, 1000, 1023])
def test_deeply_nested_header_is_malformed_before_the_signature_check(
    hs256: Key, depth: int
) -> None:
    header = b'{"alg":"HS256","x":' + nested(depth) + b',"y":{"z":1}}'
    bad = token(header, b"{}")
    with pytest.raises(MalformedTokenError):
        Verifier(keys=hs256, clock=clock).verify(bad)
    with pytest.raises(MalformedTokenError):
        jwt.decode_unverified(bad)


@pytest.mark.parametrize("depth", [200, 1000])
def test_deeply_nested_payload_is_malformed(hs256: Key, depth: int) -> None:
    payload = b'{"exp":1700003600,"x":' + nested(depth) + b',"y":{"z":1}}'
    signed = token(b'{"alg":"HS256"}', payload, hs256)
    with pytest.raises(MalformedTokenError, match="nested"):
        jwt.verify(signed, hs256, clock=clock)
    with pytest.raises(MalformedTokenError, match="nested"):
        jwt.decode_unverified(signed)


def test_ordinary_nesting_is_accepted(hs256: Key) -> None:
    claims = {"exp": NOW + 60, "realm_access": {"roles": [["a", {"b": [1, {"c": 2}]}]]}}
    signed = token(b'{"alg":"HS256"}', orjson.dumps(claims), hs256)
    assert jwt.verify(signed, hs256, clock=clock) == claims


def test_oversized_header_is_malformed(hs256: Key) -> None:
    header = orjson.dumps({"alg": "HS256", "pad": "x" * 8_000})
    with pytest.raises(MalformedTokenError, match="header"):
        Verifier(keys=hs256, clock=clock).verify(token(header, b"{}"))


def _assert_short(error: TokenError) -> None:
    assert len(str(error)) <= MESSAGE_LIMIT, str(error)
    assert len(error.message) <= MESSAGE_LIMIT


def test_unknown_kid_is_not_echoed_at_length() -> None:
    keys = KeySet([Key.generate("ES256", kid="a"), Key.generate("ES256", kid="b")])
    with pytest.raises(UnknownKeyError) as info:
        keys.get(LONG)
    _assert_short(info.value)
    with pytest.raises(UnknownKeyError) as again:
        Verifier(keys=keys, clock=clock).verify(
            token(orjson.dumps({"alg": "ES256", "kid": "K" * 2000}), b"{}")
        )
    _assert_short(again.value)


def test_claims_and_header_values_are_not_echoed_at_length(hs256: Key) -> None:
    cases: list[tuple[dict[str, Any], dict[str, Any], type[TokenError]]] = [
        ({"iss": LONG}, {"issuer": "https://a"}, InvalidIssuerError),
        ({"sub": LONG}, {"subject": "42"}, InvalidSubjectError),
        ({"aud": LONG}, {"audience": "api"}, TokenError),
    ]
    for claims, options, error in cases:
        signed = jwt.sign(claims, hs256, clock=clock)
        with pytest.raises(error) as info:
            jwt.verify(signed, hs256, clock=clock, **options)
        _assert_short(info.value)
    typed = jwt.sign({}, hs256, headers={"typ": "T" * 2000}, clock=clock)
    with pytest.raises(WrongTokenTypeError) as wrong:
        jwt.verify(typed, hs256, typ="at+jwt", clock=clock)
    _assert_short(wrong.value)


def test_unknown_algorithm_is_not_echoed_at_length(hs256: Key) -> None:
    with pytest.raises(TokenError) as info:
        jwt.verify(token(orjson.dumps({"alg": "X" * 2000}), b"{}"), hs256, clock=clock)
    _assert_short(info.value)
