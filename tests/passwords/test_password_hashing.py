"""argon2id hashing: round trip, parameters, rehash, translation of argon2 errors."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from gatepass.errors import ConfigurationError, PasswordPolicyError
from gatepass.passwords import (
    OWASP_MINIMUM,
    RFC9106_LOW_MEMORY,
    Argon2Parameters,
    PasswordHasher,
)
from gatepass.passwords.hashing import MAX_PASSWORD_CHARS
from passwords.password_helpers import FASTER


def test_hash_then_verify_round_trips(hasher: PasswordHasher) -> None:
    stored = hasher.hash("correct horse battery staple")
    assert stored.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert hasher.verify(stored, "correct horse battery staple") is True


def test_verify_rejects_a_wrong_password(hasher: PasswordHasher) -> None:
    stored = hasher.hash("correct horse battery staple")
    assert hasher.verify(stored, "correct horse battery stapl") is False
    assert hasher.verify(stored, "") is False


def test_each_hash_has_its_own_salt(hasher: PasswordHasher) -> None:
    assert hasher.hash("same password") != hasher.hash("same password")


def test_verify_returns_false_for_text_that_is_no_argon2_hash(hasher: PasswordHasher) -> None:
    for stored in ("", "plain", "$2b$12$abcdefghijklmnopqrstuv", "$argon2id$v=19$m=1,t=1,p=1$x$y"):
        assert hasher.verify(stored, "anything") is False


def test_passwords_are_nfkc_normalized_before_hashing(hasher: PasswordHasher) -> None:
    stored = hasher.hash("caf\u00e9 \ufb01ne")  # precomposed é, "ﬁ" ligature
    assert hasher.verify(stored, "cafe\u0301 fine") is True  # decomposed é, plain "fi"


def test_default_parameters_are_the_owasp_minimum() -> None:
    assert Argon2Parameters(time_cost=2, memory_cost=19456, parallelism=1) == OWASP_MINIMUM
    stored = PasswordHasher().hash("x")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_rfc9106_low_memory_profile_is_available() -> None:
    assert Argon2Parameters(time_cost=3, memory_cost=65536, parallelism=4) == RFC9106_LOW_MEMORY


def test_needs_rehash_is_true_for_other_parameters_only(hasher: PasswordHasher) -> None:
    weaker = PasswordHasher(FASTER)
    assert hasher.needs_rehash(hasher.hash("pw")) is False
    assert hasher.needs_rehash(weaker.hash("pw")) is True
    assert weaker.needs_rehash(hasher.hash("pw")) is True
    assert hasher.needs_rehash("not a hash") is True


def test_dummy_hash_uses_the_hashers_parameters(hasher: PasswordHasher) -> None:
    assert hasher.dummy_hash.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert hasher.needs_rehash(hasher.dummy_hash) is False
    assert hasher.dummy_hash == hasher.dummy_hash


def test_unusable_parameters_are_a_configuration_error_at_construction() -> None:
    with pytest.raises(ConfigurationError, match="argon2"):
        PasswordHasher(Argon2Parameters(time_cost=1, memory_cost=1, parallelism=1))


async def test_async_variants_hash_and_verify(hasher: PasswordHasher) -> None:
    stored = await hasher.hash_async("pw in a thread")
    assert await hasher.verify_async(stored, "pw in a thread") is True
    assert await hasher.verify_async(stored, "other") is False


def _fastest_of_three(call: Callable[[], object]) -> float:
    times = []
    for _ in range(3):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def test_a_password_that_cannot_be_encoded_is_a_mismatch_after_the_same_work() -> None:
    # Real cost (t=2, 8 MiB): a few milliseconds that a skipped check would not spend.
    hasher = PasswordHasher(Argon2Parameters(time_cost=2, memory_cost=8 * 1024, parallelism=1))
    stored = hasher.hash("correct horse battery staple")
    assert hasher.verify(stored, "correct \ud800 horse") is False
    normal = _fastest_of_three(lambda: hasher.verify(stored, "wrong horse"))
    surrogate = _fastest_of_three(lambda: hasher.verify(stored, "wrong \ud800 horse"))
    assert surrogate > normal / 4


def test_hashing_an_unencodable_password_is_a_policy_error(hasher: PasswordHasher) -> None:
    with pytest.raises(PasswordPolicyError):
        hasher.hash("correct \ud800 horse")


def test_an_oversized_password_is_refused_fast_and_never_hashed(hasher: PasswordHasher) -> None:
    stored = hasher.hash("x" * MAX_PASSWORD_CHARS)
    assert hasher.verify(stored, "x" * MAX_PASSWORD_CHARS) is True
    assert hasher.verify(stored, "x" * (MAX_PASSWORD_CHARS + 1)) is False
    with pytest.raises(PasswordPolicyError):
        hasher.hash("x" * (MAX_PASSWORD_CHARS + 1))
