"""Any input gives claims or a TokenError: never another exception."""

from __future__ import annotations

import base64
import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from gatepass import jwt
from gatepass.errors import TokenError
from gatepass.tokens import Key, Verifier

KEY = Key.from_secret(b"0123456789abcdef0123456789abcdef", kid="hs")
VERIFIER = Verifier(keys=KEY, require=(), clock=lambda: 1_700_000_000)
B64URL = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=.?")


def _outcome(token: str | bytes) -> None:
    with contextlib.suppress(TokenError):
        VERIFIER.verify(token)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_a_token_error_or_claims(text: str) -> None:
    _outcome(text)


@settings(max_examples=300, deadline=None)
@given(B64URL)
def test_any_near_base64url_is_a_token_error_or_claims(text: str) -> None:
    _outcome(text)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200), st.binary(max_size=200))
def test_any_signed_header_and_payload_bytes_are_handled(header: bytes, payload: bytes) -> None:
    def enc(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    signing_input = enc(header) + b"." + enc(payload)
    _outcome(signing_input + b"." + enc(KEY.sign(signing_input)))


TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=20)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=20,
)
# Registered claims have rules of their own (tested elsewhere); the rest round-trips.
NAMES = TEXT.filter(lambda name: name not in {"exp", "nbf", "iat", "aud"})


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(NAMES, json_values, max_size=6))
def test_any_private_claims_round_trip(claims: dict[str, object]) -> None:
    token = jwt.sign(claims, KEY, expires_in=None, issued_at=False)
    assert VERIFIER.verify(token) == claims
