from __future__ import annotations

from typing import Any

import pytest

from gatepass import jwt
from gatepass.errors import (
    BadSignatureError,
    ConfigurationError,
    DurationError,
    ExpiredTokenError,
    InvalidAudienceError,
    RevokedTokenError,
    StoreUnavailableError,
    UnknownKeyError,
    UnsupportedAlgorithmError,
)
from gatepass.tokens import Key, KeySet, VerifiedTokenCache, Verifier

NOW = 1_700_000_000


class Clock:
    """A settable clock: tests move time instead of sleeping."""

    def __init__(self) -> None:
        self.now: float = NOW

    def __call__(self) -> float:
        return self.now


class CountingResolver:
    """A key resolver that counts lookups (a full verification does one)."""

    def __init__(self, key: Key) -> None:
        self.key = key
        self.calls = 0

    def __call__(self, header: dict[str, Any], request: object) -> Key:
        self.calls += 1
        return self.key


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_cached_token_skips_the_signature_check(hs256: Key, clock: Clock) -> None:
    resolver = CountingResolver(hs256)
    verifier = Verifier(keys=resolver, cache=VerifiedTokenCache(), clock=clock)
    token = jwt.sign({"sub": "a"}, hs256, clock=clock)
    first = verifier.verify(token)
    first["sub"] = "changed by the caller"
    assert verifier.verify(token) == {"sub": "a", "iat": NOW, "exp": NOW + 3600}
    # A resolver is asked again on a hit (it may choose another key per request);
    # the cached entry is served because it chose the same key.
    assert resolver.calls == 2
    assert verifier.cache is not None
    assert len(verifier.cache) == 1


def test_cache_never_serves_a_token_past_exp_with_leeway(hs256: Key, clock: Clock) -> None:
    verifier = Verifier(keys=hs256, cache=VerifiedTokenCache(ttl="1d"), leeway=5, clock=clock)
    token = jwt.sign({}, hs256, expires_in=60, clock=clock)
    verifier.verify(token)
    clock.now = NOW + 64
    assert verifier.verify(token)
    clock.now = NOW + 65
    with pytest.raises(ExpiredTokenError):
        verifier.verify(token)


def test_cache_respects_max_age(hs256: Key, clock: Clock) -> None:
    verifier = Verifier(keys=hs256, cache=VerifiedTokenCache(), max_age="1m", clock=clock)
    token = jwt.sign({}, hs256, clock=clock)
    verifier.verify(token)
    clock.now = NOW + 60
    with pytest.raises(ExpiredTokenError, match="max_age"):
        verifier.verify(token)


def test_cache_entries_live_at_most_ttl(hs256: Key, clock: Clock) -> None:
    cache = VerifiedTokenCache(ttl=10)
    verifier = Verifier(keys=hs256, cache=cache, clock=clock)
    token = jwt.sign({}, hs256, clock=clock)
    verifier.verify(token)
    clock.now = NOW + 9
    verifier.verify(token)
    entry = cache.get(token, clock.now)
    assert entry is not None
    assert entry.valid_until == NOW + 10  # served from the first verification
    clock.now = NOW + 10
    verifier.verify(token)
    entry = cache.get(token, clock.now)
    assert entry is not None
    assert entry.valid_until == NOW + 20  # verified again, cached again


def test_cache_is_bounded(hs256: Key, clock: Clock) -> None:
    cache = VerifiedTokenCache(max_size=2)
    verifier = Verifier(keys=hs256, cache=cache, clock=clock)
    tokens = [jwt.sign({"n": n}, hs256, clock=clock) for n in range(5)]
    for token in tokens:
        verifier.verify(token)
    assert len(cache) == 2
    cache.clear()
    assert len(cache) == 0


def test_altered_signature_is_never_served_from_the_cache(hs256: Key, clock: Clock) -> None:
    verifier = Verifier(keys=hs256, cache=VerifiedTokenCache(), clock=clock)
    token = jwt.sign({}, hs256, clock=clock)
    verifier.verify(token)
    head, body, sig = token.split(".")
    altered = f"{head}.{body}.{'B' if sig[0] == 'A' else 'A'}{sig[1:]}"
    with pytest.raises(BadSignatureError):
        verifier.verify(altered)


def test_retired_key_stops_cached_tokens(clock: Clock) -> None:
    old, new = Key.generate("ES256", kid="old"), Key.generate("ES256", kid="new")
    keyset = KeySet([old])
    verifier = Verifier(keys=keyset, cache=VerifiedTokenCache(), clock=clock)
    token = jwt.sign({}, keyset, clock=clock)
    verifier.verify(token)
    keyset.rotate(new)
    assert verifier.verify(token)
    keyset.retire("old")
    with pytest.raises(UnknownKeyError):
        verifier.verify(token)


def test_one_cache_serves_one_verifier(hs256: Key) -> None:
    cache = VerifiedTokenCache()
    Verifier(keys=hs256, audience="a", cache=cache)
    with pytest.raises(ConfigurationError, match="another Verifier"):
        Verifier(keys=hs256, audience="b", cache=cache)


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"max_size": 0}, ConfigurationError),
        ({"ttl": 0}, ConfigurationError),
        ({"ttl": "x"}, DurationError),
    ],
)
def test_cache_settings_are_checked(options: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        VerifiedTokenCache(**options)


def test_revocation_check_runs_on_every_verification_cached_or_not(
    hs256: Key, clock: Clock
) -> None:
    revoked: set[str] = set()
    asked: list[str] = []

    def is_revoked(claims: dict[str, Any]) -> bool:
        asked.append(claims["jti"])
        return claims["jti"] in revoked

    verifier = Verifier(
        keys=hs256, cache=VerifiedTokenCache(), revocation_check=is_revoked, clock=clock
    )
    token = jwt.sign({}, hs256, jwt_id="t1", clock=clock)
    verifier.verify(token)
    verifier.verify(token)
    assert asked == ["t1", "t1"]
    revoked.add("t1")
    with pytest.raises(RevokedTokenError) as info:
        verifier.verify(token)
    assert info.value.code == "token_revoked"
    assert verifier.cache is not None
    assert len(verifier.cache) == 0
    with pytest.raises(RevokedTokenError):
        verifier.verify(token)


def test_revocation_check_failure_refuses_the_token(hs256: Key, clock: Clock) -> None:
    def broken(claims: dict[str, Any]) -> bool:
        raise ConnectionError("store down")

    verifier = Verifier(keys=hs256, revocation_check=broken, clock=clock)
    with pytest.raises(StoreUnavailableError, match="ConnectionError") as info:
        verifier.verify(jwt.sign({}, hs256, clock=clock))
    assert info.value.status_code == 503


def test_revocation_check_must_answer_false_to_accept(hs256: Key, clock: Clock) -> None:
    verifier = Verifier(keys=hs256, revocation_check=lambda claims: None, clock=clock)  # type: ignore[arg-type,return-value]
    with pytest.raises(RevokedTokenError):
        verifier.verify(jwt.sign({}, hs256, clock=clock))


async def test_async_revocation_check_runs_in_verify_async(hs256: Key, clock: Clock) -> None:
    async def is_revoked(claims: dict[str, Any]) -> bool:
        return claims.get("jti") == "bad"

    verifier = Verifier(
        keys=hs256, cache=VerifiedTokenCache(), revocation_check=is_revoked, clock=clock
    )
    good = jwt.sign({}, hs256, jwt_id="good", clock=clock)
    assert await verifier.verify_async(good)
    assert await verifier.verify_async(good)
    with pytest.raises(RevokedTokenError):
        await verifier.verify_async(jwt.sign({}, hs256, jwt_id="bad", clock=clock))
    with pytest.raises(ConfigurationError, match="verify_async"):
        verifier.verify(good)


async def test_async_revocation_check_failure_fails_closed(hs256: Key, clock: Clock) -> None:
    async def broken(claims: dict[str, Any]) -> bool:
        raise TimeoutError

    verifier = Verifier(keys=hs256, revocation_check=broken, clock=clock)
    with pytest.raises(StoreUnavailableError):
        await verifier.verify_async(jwt.sign({}, hs256, clock=clock))


async def test_async_resolver_gets_header_and_request(hs256: Key, clock: Clock) -> None:
    seen: list[tuple[dict[str, Any], object]] = []

    async def resolve(header: dict[str, Any], request: object) -> Key:
        seen.append((header, request))
        return hs256

    verifier = Verifier(keys=resolve, clock=clock)
    token = jwt.sign({"sub": "a"}, hs256, clock=clock)
    assert (await verifier.verify_async(token, request="the request"))["sub"] == "a"
    assert seen == [({"alg": "HS256", "kid": "hs"}, "the request")]
    with pytest.raises(ConfigurationError, match="verify_async"):
        verifier.verify(token)


async def test_resolver_must_return_a_key(hs256: Key, clock: Clock) -> None:
    verifier = Verifier(keys=lambda header, request: "secret", clock=clock)  # type: ignore[arg-type,return-value]
    token = jwt.sign({}, hs256, clock=clock)
    with pytest.raises(ConfigurationError, match="must return a Key"):
        verifier.verify(token)
    with pytest.raises(ConfigurationError, match="must return a Key"):
        await verifier.verify_async(token)


async def test_verify_async_with_local_keys(clock: Clock) -> None:
    key = Key.generate("EdDSA")
    verifier = Verifier(keys=KeySet([key]), audience="api", clock=clock)
    token = jwt.sign({}, key, audience="api", clock=clock)
    assert (await verifier.verify_async(token))["aud"] == "api"
    with pytest.raises(InvalidAudienceError):
        await verifier.verify_async(jwt.sign({}, key, audience="web", clock=clock))


def test_header_algorithm_outside_the_allow_list_is_refused(clock: Clock) -> None:
    key = Key.generate("ES256")
    verifier = Verifier(keys=lambda header, request: key, algorithms=["ES256"], clock=clock)
    other = Key.generate("ES384")
    with pytest.raises(UnsupportedAlgorithmError, match="not in algorithms="):
        verifier.verify(jwt.sign({}, other, clock=clock))


def test_verifier_memoises_headers_within_bounds(hs256: Key, clock: Clock) -> None:
    verifier = Verifier(keys=hs256, clock=clock, require=())
    for n in range(100):
        verifier.verify(jwt.sign({}, hs256, headers={"n": n}, clock=clock))
    assert 0 < len(verifier._headers) <= 64
