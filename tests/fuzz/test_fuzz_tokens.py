"""Property tests of the token verification path beyond ``tests/tokens/test_jwt_fuzz.py``.

That file feeds text and HMAC-signed bytes to one HS256 verifier. Here: an ES256 key
set with the server's policy (``typ`` at+jwt, audience, issuer, required claims),
validly signed headers and claims of any shape, and ``decode_unverified``. Whatever
comes in, the answer is claims or a :class:`~gatepass.errors.GatepassError`.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gatepass.errors import GatepassError, TokenError
from gatepass.tokens import Key, KeySet, Verifier, decode_unverified

NOW = 1_700_000_000
ES256 = Key.generate("ES256", kid="es")
OTHER = Key.generate("ES256", kid="other")
KEYS = KeySet([ES256, OTHER.public_key()])
VERIFIER = Verifier(
    keys=KEYS,
    audience="gatepass",
    issuer="https://issuer.example",
    typ="at+jwt",
    require=("exp", "iat", "sub", "jti"),
    clock=lambda: NOW,
)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TEXT = st.text(max_size=12)
# Times in datetime's range; the far ones have a test of their own below.
TIMES = st.one_of(
    st.integers(-62_000_000_000, 250_000_000_000),
    st.floats(-6.2e10, 2.5e11, allow_nan=False),
    st.sampled_from([NOW - 1, NOW, NOW + 1, 0, -1]),
)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), TEXT)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
CLAIM_VALUES = st.one_of(TIMES, JSON)
CLAIMS = st.fixed_dictionaries(
    {},
    optional={
        name: CLAIM_VALUES
        for name in ("exp", "nbf", "iat", "sub", "jti", "iss", "aud", "fam", "scope")
    },
)
HEADERS = st.fixed_dictionaries(
    {"alg": st.sampled_from(["ES256", "ES384", "HS256", "RS256", "none", "EdDSA"]) | TEXT},
    optional={
        "kid": st.sampled_from(["es", "other", "", "../es"]) | JSON,
        "typ": st.sampled_from(["at+jwt", "application/at+jwt", "JWT", "AT+JWT"]) | JSON,
        "cty": JSON,
        "crit": JSON,
        "jku": JSON,
        "x5t": JSON,
    },
)


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def json_part(value: Any) -> str:
    # The standard library encoder: it writes integers past 64 bits, as a forger would.
    return b64u(json.dumps(value, separators=(",", ":")).encode())


def signed(header: Any, claims: Any) -> str:
    signing_input = f"{json_part(header)}.{json_part(claims)}"
    return f"{signing_input}.{b64u(ES256.sign(signing_input.encode()))}"


def outcome(token: str | bytes) -> dict[str, Any] | None:
    """Claims, or None when refused with a gatepass error; anything else fails the test."""
    try:
        return VERIFIER.verify(token)
    except GatepassError:
        return None


@FAST
@given(HEADERS, CLAIMS)
def test_validly_signed_token_of_any_shape_is_claims_or_a_gatepass_error(
    header: dict[str, Any], claims: dict[str, Any]
) -> None:
    result = outcome(signed(header, claims))
    if result is not None:
        # Accepted only when every policy rule holds.
        assert header["alg"] == "ES256"
        assert result["aud"] == "gatepass" or "gatepass" in result["aud"]
        assert result["iss"] == "https://issuer.example"
        assert result["exp"] > NOW


@FAST
@given(HEADERS, CLAIMS, st.binary(max_size=80))
def test_any_signature_bytes_never_verify_and_never_crash(
    header: dict[str, Any], claims: dict[str, Any], signature: bytes
) -> None:
    genuine = signed(header, claims)
    forged = genuine.rsplit(".", 1)[0] + "." + b64u(signature)
    if forged != genuine:
        assert outcome(forged) is None


@FAST
@given(st.binary(max_size=400))
def test_any_bytes_are_claims_or_a_gatepass_error(data: bytes) -> None:
    outcome(data)


@FAST
@given(st.lists(st.binary(max_size=60), min_size=1, max_size=5))
def test_dotted_random_base64url_parts_never_crash(parts: list[bytes]) -> None:
    outcome(".".join(b64u(part) for part in parts))


@FAST
@given(st.binary(max_size=300) | st.text(max_size=300))
def test_decode_unverified_raises_only_token_errors(data: bytes | str) -> None:
    try:
        header, claims = decode_unverified(data)
    except TokenError:
        return
    assert isinstance(header, dict)
    assert isinstance(claims, dict)


@FAST
@given(JSON)
def test_a_token_that_is_not_text_is_a_token_error(value: Any) -> None:
    with pytest.raises(TokenError):
        VERIFIER.verify(value)


@pytest.mark.parametrize(
    "claim",
    [
        pytest.param({"exp": -(10**30)}, id="exp-far-past"),
        pytest.param({"nbf": 10**30}, id="nbf-far-future"),
        pytest.param({"exp": -1e300}, id="exp-huge-float"),
    ],
)
def test_time_claims_outside_the_datetime_range_are_token_errors(claim: dict[str, Any]) -> None:
    claims = {"sub": "u", "jti": "j", "iat": NOW, "exp": NOW + 60, "aud": "gatepass"}
    claims |= {"iss": "https://issuer.example", **claim}
    with pytest.raises(TokenError):
        VERIFIER.verify(signed({"alg": "ES256", "kid": "es", "typ": "at+jwt"}, claims))
