"""Claims of the wrong shape or outside NumericDate's range are claim errors, never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gatepass import jwt
from gatepass.errors import (
    ClaimError,
    ExpiredTokenError,
    InvalidIssuerError,
    InvalidSubjectError,
)
from gatepass.tokens import Key
from gatepass.tokens._encoding import b64encode

NOW = 1_700_000_000
LAST_SECOND_OF_9999 = 253_402_300_799


def clock() -> float:
    return NOW


def signed(claims: dict[str, Any], key: Key) -> str:
    """A token with exactly these claims (``jwt.sign`` would refuse some of them)."""
    payload = json.dumps(claims).encode()
    signing_input = b64encode(b'{"alg":"HS256"}') + b"." + b64encode(payload)
    return (signing_input + b"." + b64encode(key.sign(signing_input))).decode()


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param({"exp": -(10**30)}, id="exp-far-past"),
        pytest.param({"exp": -1e300}, id="exp-huge-negative-float"),
        pytest.param({"exp": 1e308}, id="exp-1e308"),
        pytest.param({"exp": LAST_SECOND_OF_9999 + 1}, id="exp-year-10000"),
        pytest.param({"exp": -1}, id="exp-before-1970"),
        pytest.param({"exp": NOW + 60, "nbf": 10**30}, id="nbf-far-future"),
        pytest.param({"exp": NOW + 60, "nbf": -5}, id="nbf-negative"),
        pytest.param({"exp": NOW + 60, "iat": 1e300}, id="iat-far-future"),
    ],
)
def test_numeric_dates_outside_year_0_to_9999_are_claim_errors(
    hs256: Key, claims: dict[str, Any]
) -> None:
    with pytest.raises(ClaimError, match="NumericDate"):
        jwt.verify(signed(claims, hs256), hs256, clock=clock)


def test_numeric_date_range_ends_with_the_year_9999(hs256: Key) -> None:
    token = signed({"exp": LAST_SECOND_OF_9999}, hs256)
    assert jwt.verify(token, hs256, clock=clock)["exp"] == LAST_SECOND_OF_9999


def test_max_age_ending_past_the_calendar_is_still_an_expiry(hs256: Key) -> None:
    token = signed({"iat": LAST_SECOND_OF_9999 - 5}, hs256)
    with pytest.raises(ExpiredTokenError, match="max_age"):
        jwt.verify(token, hs256, max_age=10, require=(), clock=lambda: LAST_SECOND_OF_9999 + 100)


@pytest.mark.parametrize("issuer", [["https://a"], {"x": 1}, 7, True])
def test_an_issuer_that_is_not_a_string_is_an_issuer_error(hs256: Key, issuer: Any) -> None:
    token = signed({"exp": NOW + 60, "iss": issuer}, hs256)
    with pytest.raises(InvalidIssuerError, match="string"):
        jwt.verify(token, hs256, issuer="https://a", clock=clock)


@pytest.mark.parametrize("subject", [["42"], {"id": "42"}, 42])
def test_a_subject_that_is_not_a_string_is_a_subject_error(hs256: Key, subject: Any) -> None:
    token = signed({"exp": NOW + 60, "sub": subject}, hs256)
    with pytest.raises(InvalidSubjectError, match="string"):
        jwt.verify(token, hs256, subject="42", clock=clock)
