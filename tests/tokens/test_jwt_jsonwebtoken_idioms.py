"""jsonwebtoken's README calls, ported word for word: each works or says what to change."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from gatepass import jwt
from gatepass.errors import (
    ConfigurationError,
    DurationError,
    GatepassError,
    InvalidKeyError,
    MissingClaimError,
)

NOW = 1_700_000_000
SECRET = "a shared secret of at least 32 bytes!"


def clock() -> float:
    return NOW


def test_sign_uses_the_payloads_exp_when_no_expires_in_is_given() -> None:
    # jwt.sign({ exp: Math.floor(Date.now() / 1000) + 60 * 60, data: 'foobar' }, 'secret')
    token = jwt.sign({"exp": NOW + 60 * 60, "data": "foobar"}, SECRET, clock=clock)
    claims = jwt.verify(token, SECRET, algorithm="HS256", clock=clock)
    assert claims == {"exp": NOW + 3600, "data": "foobar", "iat": NOW}


def test_sign_refuses_exp_in_payload_and_expires_in_naming_both() -> None:
    with pytest.raises(ConfigurationError) as refused:
        jwt.sign({"exp": NOW + 60, "data": "foobar"}, SECRET, expires_in="1h", clock=clock)
    assert "'exp'" in refused.value.message
    assert "expires_in=" in refused.value.message


def test_sign_without_exp_or_expires_in_still_expires_in_an_hour() -> None:
    token = jwt.sign({"data": "foobar"}, SECRET, clock=clock)
    assert jwt.verify(token, SECRET, algorithm="HS256", clock=clock)["exp"] == NOW + 3600


def test_a_token_without_exp_is_still_refused_by_default() -> None:
    token = jwt.sign({"data": "foobar"}, SECRET, expires_in=None, clock=clock)
    with pytest.raises(MissingClaimError, match="'exp'"):
        jwt.verify(token, SECRET, algorithm="HS256", clock=clock)


def test_verify_complete_returns_header_payload_and_signature() -> None:
    # jwt.verify(token, secret, { complete: true }) -> { header, payload, signature }
    token = jwt.sign({"foo": "bar"}, SECRET, clock=clock)
    decoded = jwt.verify(token, SECRET, algorithms=["HS256"], complete=True, clock=clock)
    assert decoded["header"]["alg"] == "HS256"
    assert decoded["payload"]["foo"] == "bar"
    assert decoded["signature"] == token.rsplit(".", 1)[1]


def test_verify_complete_accepts_the_token_as_bytes() -> None:
    token = jwt.sign({"foo": "bar"}, SECRET, clock=clock)
    decoded = jwt.verify(token.encode(), SECRET, algorithm="HS256", complete=True, clock=clock)
    assert decoded["payload"]["foo"] == "bar"


def test_verify_with_a_secret_and_several_hs_algorithms_accepts_each() -> None:
    # jwt.verify(token, secret, { algorithms: ['HS256', 'HS512'] })
    secret = "s" * 64
    for algorithm in ("HS256", "HS512"):
        token = jwt.sign({"foo": "bar"}, secret, algorithm=algorithm, clock=clock)
        claims = jwt.verify(token, secret, algorithms=["HS256", "HS512"], clock=clock)
        assert claims["foo"] == "bar"


def test_several_hs_algorithms_still_refuse_one_not_listed() -> None:
    secret = "s" * 64
    token = jwt.sign({"foo": "bar"}, secret, algorithm="HS384", clock=clock)
    with pytest.raises(jwt.UnsupportedAlgorithmError):
        jwt.verify(token, secret, algorithms=["HS256", "HS512"], clock=clock)


def test_several_hs_algorithms_with_a_short_secret_say_which_to_drop() -> None:
    with pytest.raises(InvalidKeyError) as refused:
        jwt.verify("a.b.c", SECRET, algorithms=["HS256", "HS512"], clock=clock)
    assert "at least 64 bytes" in refused.value.message
    assert "leave HS512 out of algorithms=" in refused.value.message


def test_unitless_text_duration_is_refused_naming_both_readings() -> None:
    # jwt.sign(payload, secret, { expiresIn: '120' }) means 120 ms in jsonwebtoken.
    with pytest.raises(DurationError) as refused:
        jwt.sign({"foo": "bar"}, SECRET, expires_in="120", clock=clock)
    message = refused.value.message
    assert "milliseconds" in message
    assert "expires_in='120s'" in message
    assert "'120ms'" in message


def test_unitless_text_max_age_and_not_before_are_refused_too() -> None:
    with pytest.raises(DurationError, match="not_before='5s'"):
        jwt.sign({}, SECRET, not_before="5", clock=clock)
    token = jwt.sign({}, SECRET, clock=clock)
    with pytest.raises(DurationError, match="max_age='60s'"):
        jwt.verify(token, SECRET, algorithm="HS256", max_age="60", clock=clock)


def test_durations_with_units_and_numbers_of_seconds_work() -> None:
    token = jwt.sign({}, SECRET, expires_in="120s", clock=clock)
    assert jwt.decode_unverified(token).claims["exp"] == NOW + 120
    token = jwt.sign({}, SECRET, expires_in=120, clock=clock)
    assert jwt.decode_unverified(token).claims["exp"] == NOW + 120


@pytest.mark.parametrize("payload", ["just a string", b"bytes", ["a", "list"], 42])
def test_sign_refuses_a_payload_that_is_not_a_dict_with_a_gatepass_error(payload: object) -> None:
    with pytest.raises(ConfigurationError) as refused:
        jwt.sign(payload, SECRET)  # type: ignore[arg-type]
    assert "needs the claims as a dict" in refused.value.message
    assert "sign_jws" in refused.value.message


def test_verify_accepts_a_compiled_audience_pattern() -> None:
    # jwt.verify(token, secret, { audience: /urn:f[o]{2}/ })
    token = jwt.sign({}, SECRET, audience="urn:foo", clock=clock)
    claims = jwt.verify(
        token, SECRET, algorithm="HS256", audience=re.compile(r"urn:f[o]{2}"), clock=clock
    )
    assert claims["aud"] == "urn:foo"


def test_an_audience_pattern_must_match_the_whole_value() -> None:
    # RegExp.test would accept "urn:foo.attacker.example" for /urn:foo/; fullmatch does not.
    token = jwt.sign({}, SECRET, audience="urn:foo.attacker.example", clock=clock)
    with pytest.raises(jwt.InvalidAudienceError):
        jwt.verify(token, SECRET, algorithm="HS256", audience=re.compile("urn:foo"), clock=clock)


def test_audience_list_mixes_strings_and_patterns() -> None:
    # jwt.verify(token, secret, { audience: ['urn:bar', /urn:f[o]{2}/] })
    token = jwt.sign({}, SECRET, audience=["urn:other", "urn:foo"], clock=clock)
    accepted: list[str | re.Pattern[str]] = ["urn:bar", re.compile(r"urn:f[o]{2}")]
    assert jwt.verify(token, SECRET, algorithm="HS256", audience=accepted, clock=clock)["aud"]


@pytest.mark.parametrize("audience", [42, [], [b"api"], re.compile(b"api")])
def test_a_bad_audience_option_is_a_gatepass_error_saying_what_fits(audience: object) -> None:
    token = jwt.sign({}, SECRET, clock=clock)
    with pytest.raises(ConfigurationError) as refused:
        jwt.verify(token, SECRET, algorithm="HS256", audience=audience, clock=clock)  # type: ignore[arg-type]
    assert "audience= must be a string, a compiled text pattern" in refused.value.message


def test_sign_refuses_an_audience_pattern_with_a_gatepass_error() -> None:
    with pytest.raises(ConfigurationError, match="a string or a non-empty list of strings"):
        jwt.sign({}, SECRET, audience=re.compile("api"))  # type: ignore[arg-type]


def test_a_bad_issuer_option_is_a_gatepass_error() -> None:
    token = jwt.sign({}, SECRET, clock=clock)
    with pytest.raises(GatepassError, match="issuer= must be a string"):
        jwt.verify(token, SECRET, algorithm="HS256", issuer=[["a"]], clock=clock)  # type: ignore[list-item]


def test_not_before_error_has_jsonwebtokens_date() -> None:
    token = jwt.sign({"foo": "bar"}, SECRET, not_before="1m", clock=clock)
    with pytest.raises(jwt.ImmatureTokenError) as refused:
        jwt.verify(token, SECRET, algorithm="HS256", clock=clock)
    assert refused.value.date == datetime.fromtimestamp(NOW + 60, UTC)
    assert refused.value.date == refused.value.not_before


def test_a_short_secret_is_refused_saying_how_to_make_one() -> None:
    # jwt.sign({ foo: 'bar' }, 'shhhhh'): too short for HS256 (RFC 7518 §3.2).
    with pytest.raises(InvalidKeyError) as refused:
        jwt.sign({"foo": "bar"}, "shhhhh")
    assert "at least 32 bytes" in refused.value.message
    assert "secrets.token_urlsafe(32)" in refused.value.message
