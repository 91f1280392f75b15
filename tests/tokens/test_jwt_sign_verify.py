from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from gatepass import jwt
from gatepass.errors import (
    ClaimError,
    ConfigurationError,
    DurationError,
    ExpiredTokenError,
    ImmatureTokenError,
    InvalidAudienceError,
    InvalidIssuerError,
    InvalidKeyError,
    InvalidSubjectError,
    MissingClaimError,
    UnknownKeyError,
    UnsupportedAlgorithmError,
    WrongTokenTypeError,
)
from gatepass.tokens import ALGORITHMS, Key, KeySet, sign_jws

NOW = 1_700_000_000
ALL_ALGORITHMS = sorted(ALGORITHMS)


def clock() -> float:
    return NOW


def later(seconds: float) -> Any:
    return lambda: NOW + seconds


@pytest.mark.parametrize("alg", ALL_ALGORITHMS)
def test_round_trip_with_every_algorithm(keys_by_algorithm: dict[str, Key], alg: str) -> None:
    key = keys_by_algorithm[alg]
    token = jwt.sign({"role": "admin"}, key, subject="42", clock=clock)
    claims = jwt.verify(token, key, clock=clock)
    assert claims == {"role": "admin", "sub": "42", "iat": NOW, "exp": NOW + 3600}
    assert jwt.decode_unverified(token).header == {"alg": alg, "kid": key.kid}


@pytest.mark.parametrize("alg", [a for a in ALL_ALGORITHMS if not a.startswith("HS")])
def test_public_key_alone_verifies(keys_by_algorithm: dict[str, Key], alg: str) -> None:
    key = keys_by_algorithm[alg]
    token = jwt.sign({}, key, clock=clock)
    assert jwt.verify(token, key.public_key(), clock=clock)["exp"] == NOW + 3600


def test_sign_refuses_a_public_key(keys_by_algorithm: dict[str, Key]) -> None:
    with pytest.raises(InvalidKeyError, match="private key"):
        jwt.sign({}, keys_by_algorithm["ES256"].public_key())


def test_text_secret_works_as_in_jsonwebtoken() -> None:
    secret = "a shared secret of at least 32 bytes!"
    token = jwt.sign({"a": 1}, secret, clock=clock)
    assert jwt.verify(token, secret, algorithm="HS256", clock=clock)["a"] == 1
    with pytest.raises(InvalidKeyError, match="at least 32 bytes"):
        jwt.sign({}, "short")


@pytest.mark.parametrize(
    ("expires_in", "exp"),
    [
        ("15m", NOW + 900),
        (60, NOW + 60),
        (timedelta(days=1), NOW + 86400),
        ("2 days", NOW + 172800),
    ],
)
def test_expires_in_accepts_durations(hs256: Key, expires_in: Any, exp: int) -> None:
    token = jwt.sign({}, hs256, expires_in=expires_in, clock=clock)
    assert jwt.decode_unverified(token).claims["exp"] == exp


def test_expires_in_none_leaves_out_exp_which_must_then_not_be_required(hs256: Key) -> None:
    token = jwt.sign({}, hs256, expires_in=None, clock=clock)
    with pytest.raises(MissingClaimError) as info:
        jwt.verify(token, hs256, clock=clock)
    assert info.value.claim == "exp"
    assert info.value.code == "missing_claim"
    assert jwt.verify(token, hs256, require=(), clock=clock) == {"iat": NOW}


def test_bad_duration_is_a_duration_error(hs256: Key) -> None:
    with pytest.raises(DurationError):
        jwt.sign({}, hs256, expires_in="soon")


def test_sign_sets_registered_claims_from_options(hs256: Key) -> None:
    token = jwt.sign(
        {"x": 1},
        hs256,
        audience=["a", "b"],
        issuer="iss",
        subject="sub",
        jwt_id="id-1",
        not_before="1m",
        headers={"typ": "at+jwt"},
        clock=clock,
    )
    header, claims = jwt.decode_unverified(token)
    assert header == {"alg": "HS256", "kid": "hs", "typ": "at+jwt"}
    assert claims == {
        "x": 1,
        "iat": NOW,
        "exp": NOW + 3600,
        "nbf": NOW + 60,
        "aud": ["a", "b"],
        "iss": "iss",
        "sub": "sub",
        "jti": "id-1",
    }


def test_sign_refuses_a_claim_set_twice(hs256: Key) -> None:
    with pytest.raises(ConfigurationError, match=r"already has \['exp'\].*expires_in="):
        jwt.sign({"exp": NOW}, hs256, expires_in="1h")
    assert (
        jwt.decode_unverified(jwt.sign({"exp": NOW}, hs256, expires_in=None)).claims["exp"] == NOW
    )


def test_sign_turns_datetimes_into_numeric_dates(hs256: Key) -> None:
    when = datetime.fromtimestamp(NOW + 10, UTC)
    token = jwt.sign({"exp": when}, hs256, expires_in=None, issued_at=False)
    assert jwt.decode_unverified(token).claims == {"exp": NOW + 10}


@pytest.mark.parametrize("bad", [{"exp": "soon"}, {"nbf": True}, {"iat": float("nan")}])
def test_sign_refuses_non_numeric_time_claims(hs256: Key, bad: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError, match="number of seconds"):
        jwt.sign(bad, hs256, expires_in=None, issued_at=False)


def test_sign_refuses_unserialisable_payload_and_key_headers(hs256: Key) -> None:
    with pytest.raises(ConfigurationError, match="JSON"):
        jwt.sign({"x": object()}, hs256)
    for name in ("alg", "kid", "jku", "jwk", "x5u", "x5c", "crit"):
        with pytest.raises(ConfigurationError, match="refused"):
            jwt.sign({}, hs256, headers={name: "x"})


def test_expired_token_carries_expired_at(hs256: Key) -> None:
    token = jwt.sign({}, hs256, expires_in=60, clock=clock)
    assert jwt.verify(token, hs256, clock=later(59))
    with pytest.raises(ExpiredTokenError) as info:
        jwt.verify(token, hs256, clock=later(60))
    assert info.value.code == "token_expired"
    assert info.value.status_code == 401
    assert info.value.expired_at == datetime.fromtimestamp(NOW + 60, UTC)
    assert "expired at 2023-11-14T22:14:20" in info.value.message


def test_leeway_extends_exp_and_nbf(hs256: Key) -> None:
    token = jwt.sign({}, hs256, expires_in=60, not_before=30, clock=clock)
    assert jwt.verify(token, hs256, leeway=10, clock=later(65))
    assert jwt.verify(token, hs256, leeway="30s", clock=later(0))
    with pytest.raises(ExpiredTokenError):
        jwt.verify(token, hs256, leeway=timedelta(seconds=10), clock=later(70))


def test_not_yet_valid_token_carries_not_before(hs256: Key) -> None:
    token = jwt.sign({}, hs256, not_before="1m", clock=clock)
    with pytest.raises(ImmatureTokenError) as info:
        jwt.verify(token, hs256, clock=clock)
    assert info.value.code == "token_not_yet_valid"
    assert info.value.not_before == datetime.fromtimestamp(NOW + 60, UTC)
    assert jwt.verify(token, hs256, clock=later(60))


def test_token_issued_in_the_future_is_refused(hs256: Key) -> None:
    token = jwt.sign({}, hs256, clock=later(120))
    with pytest.raises(ImmatureTokenError, match="future"):
        jwt.verify(token, hs256, clock=clock)


def test_max_age_limits_the_age_from_iat(hs256: Key) -> None:
    token = jwt.sign({}, hs256, expires_in="1d", clock=clock)
    assert jwt.verify(token, hs256, max_age="10m", clock=later(599))
    with pytest.raises(ExpiredTokenError, match="max_age"):
        jwt.verify(token, hs256, max_age="10m", clock=later(600))
    no_iat = jwt.sign({}, hs256, issued_at=False, clock=clock)
    with pytest.raises(MissingClaimError, match="'iat'"):
        jwt.verify(no_iat, hs256, max_age=60, clock=clock)


@pytest.mark.parametrize(
    ("claims", "error"),
    [
        ({"exp": "1700003600"}, ClaimError),
        ({"exp": True}, ClaimError),
        ({"exp": None}, ClaimError),
        ({"exp": NOW + 60, "nbf": "0"}, ClaimError),
        ({"exp": NOW + 60, "iat": [1]}, ClaimError),
    ],
)
def test_time_claims_must_be_numbers(hs256: Key, claims: dict[str, Any], error: type) -> None:
    token = sign_jws(orjson.dumps(claims), hs256)
    with pytest.raises(error, match="must be a number"):
        jwt.verify(token, hs256, clock=clock)


def test_audience_matching(hs256: Key) -> None:
    single = jwt.sign({}, hs256, audience="api", clock=clock)
    several = jwt.sign({}, hs256, audience=["web", "api"], clock=clock)
    none = jwt.sign({}, hs256, clock=clock)
    assert jwt.verify(single, hs256, audience="api", clock=clock)
    assert jwt.verify(several, hs256, audience="api", clock=clock)
    assert jwt.verify(single, hs256, audience=["other", "api"], clock=clock)
    with pytest.raises(InvalidAudienceError) as info:
        jwt.verify(single, hs256, audience="other", clock=clock)
    assert info.value.code == "invalid_audience"
    with pytest.raises(MissingClaimError, match="'aud'"):
        jwt.verify(none, hs256, audience="api", clock=clock)
    # RFC 7519 §4.1.3: a token for an audience is refused where none is configured.
    with pytest.raises(InvalidAudienceError, match="pass audience="):
        jwt.verify(single, hs256, clock=clock)


def test_audience_claim_of_the_wrong_type_is_refused(hs256: Key) -> None:
    token = jwt.sign({"aud": ["api", 3]}, hs256, clock=clock)
    with pytest.raises(InvalidAudienceError, match="string or a list"):
        jwt.verify(token, hs256, audience="api", clock=clock)


def test_issuer_subject_and_jwt_id(hs256: Key) -> None:
    token = jwt.sign({}, hs256, issuer="https://a", subject="42", jwt_id="j1", clock=clock)
    assert jwt.verify(
        token, hs256, issuer=["https://b", "https://a"], subject="42", jwt_id="j1", clock=clock
    )
    with pytest.raises(InvalidIssuerError) as issuer:
        jwt.verify(token, hs256, issuer="https://b", clock=clock)
    assert issuer.value.code == "invalid_issuer"
    with pytest.raises(InvalidSubjectError) as subject:
        jwt.verify(token, hs256, subject="43", clock=clock)
    assert subject.value.code == "invalid_subject"
    with pytest.raises(ClaimError, match="jti"):
        jwt.verify(token, hs256, jwt_id="j2", clock=clock)
    bare = jwt.sign({}, hs256, clock=clock)
    with pytest.raises(MissingClaimError, match="'iss'"):
        jwt.verify(bare, hs256, issuer="https://a", clock=clock)
    with pytest.raises(MissingClaimError, match="'sub'"):
        jwt.verify(bare, hs256, subject="42", clock=clock)


def test_required_claims(hs256: Key) -> None:
    token = jwt.sign({}, hs256, clock=clock)
    with pytest.raises(MissingClaimError, match="'jti'"):
        jwt.verify(token, hs256, require=("exp", "jti"), clock=clock)


def test_typ_is_checked_when_asked(hs256: Key) -> None:
    access = jwt.sign({}, hs256, headers={"typ": "application/at+jwt"}, clock=clock)
    plain = jwt.sign({}, hs256, clock=clock)
    assert jwt.verify(access, hs256, typ="at+JWT", clock=clock)
    with pytest.raises(WrongTokenTypeError) as info:
        jwt.verify(plain, hs256, typ="at+jwt", clock=clock)
    assert info.value.code == "wrong_token_type"


def test_algorithms_allow_list(keys_by_algorithm: dict[str, Key]) -> None:
    key = keys_by_algorithm["ES256"]
    token = jwt.sign({}, key, clock=clock)
    assert jwt.verify(token, key, algorithms=["ES256"], clock=clock)
    with pytest.raises(ConfigurationError, match="outside algorithms"):
        jwt.verify(token, key, algorithms=["RS256"], clock=clock)
    keyset = KeySet([key])
    with pytest.raises(ConfigurationError, match="outside algorithms"):
        jwt.verify(token, keyset, algorithms=["EdDSA"], clock=clock)
    with pytest.raises(ConfigurationError, match="algorithms must be"):
        jwt.verify(token, key, algorithms=["none"], clock=clock)  # type: ignore[list-item]


def test_verify_with_a_keyset_selects_by_kid(keys_by_algorithm: dict[str, Key]) -> None:
    old, new = Key.generate("ES256", kid="old"), Key.generate("ES256", kid="new")
    keyset = KeySet([old, new])
    assert jwt.verify(jwt.sign({}, old, clock=clock), keyset, clock=clock)
    assert jwt.verify(jwt.sign({}, keyset, clock=clock), keyset, clock=clock)
    stranger = Key.generate("ES256", kid="stranger")
    with pytest.raises(UnknownKeyError) as info:
        jwt.verify(jwt.sign({}, stranger, clock=clock), keyset, clock=clock)
    assert info.value.code == "unknown_key"


def test_verify_with_a_sync_resolver_function(hs256: Key) -> None:
    seen: list[dict[str, Any]] = []

    def resolve(header: dict[str, Any], request: object) -> Key:
        seen.append(header)
        return hs256

    assert jwt.verify(jwt.sign({}, hs256, clock=clock), resolve, clock=clock)
    assert seen == [{"alg": "HS256", "kid": "hs"}]


def test_verify_refuses_a_non_key(hs256: Key) -> None:
    with pytest.raises(ConfigurationError, match="keys= must be"):
        jwt.verify(jwt.sign({}, hs256), 42)  # type: ignore[arg-type]


def test_unsupported_algorithm_error_code() -> None:
    assert UnsupportedAlgorithmError.code == "unsupported_algorithm"
