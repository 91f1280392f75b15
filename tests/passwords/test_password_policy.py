"""The password policy: length, the common-password list, the email, human messages."""

from __future__ import annotations

import tracemalloc

import pytest

from gatepass.errors import PasswordPolicyError
from gatepass.passwords import PasswordPolicy, load_common_passwords


@pytest.fixture(scope="module")
def policy() -> PasswordPolicy:
    return PasswordPolicy()


def test_a_long_uncommon_passphrase_is_accepted(policy: PasswordPolicy) -> None:
    policy.check("correct horse battery staple")
    assert policy.problems("lamp-orbit-quiet-42") == []


def test_no_composition_rules_lowercase_letters_alone_are_fine(policy: PasswordPolicy) -> None:
    assert policy.problems("plumtreeharbour") == []


def test_too_short_is_refused_with_a_human_message(policy: PasswordPolicy) -> None:
    with pytest.raises(PasswordPolicyError) as caught:
        policy.check("x7#kQ2z")
    assert caught.value.reasons == ("Use at least 8 characters.",)
    assert caught.value.status_code == 422
    assert caught.value.to_dict() == {
        "error": "weak_password",
        "message": "Use at least 8 characters.",
    }


def test_length_counts_characters_not_bytes(policy: PasswordPolicy) -> None:
    assert policy.problems("ünïcödé!") == []  # 8 characters, 12 bytes


def test_64_four_byte_characters_fit_and_more_than_256_bytes_do_not(
    policy: PasswordPolicy,
) -> None:
    four_byte = "\U0001f511"  # 🔑
    assert [r for r in policy.problems(four_byte * 63 + "\U0001f510") if "shorter" in r] == []
    reasons = policy.problems("k3y!" * 64 + "x")  # 257 bytes
    assert reasons == [
        "Use a shorter password: at most 256 bytes, which is at least 64 characters."
    ]


def test_common_passwords_are_refused_case_insensitively(policy: PasswordPolicy) -> None:
    for common in ("password", "PASSWORD1", "Iloveyou", "qwertyuiop", "baseball"):
        assert "This password is one of the most common ones; choose another." in (
            policy.problems(common)
        ), common


def test_password_equal_to_email_or_its_local_part_is_refused(policy: PasswordPolicy) -> None:
    message = "Do not use your email address as your password."
    assert policy.problems("ann.smith.1984", email="Ann.Smith.1984@example.com") == [message]
    assert policy.problems("ann.smith.1984@example.com", email="ann.smith.1984@example.com") == [
        message
    ]
    assert policy.problems("ann.smith.1984", email=None) == []
    assert policy.problems("ann.smith.1984!", email="ann.smith.1984@example.com") == []


def test_one_repeated_character_is_refused(policy: PasswordPolicy) -> None:
    assert policy.problems("zzzzzzzzzzzzz") == [
        "A password made of one repeated character is easy to guess."
    ]


def test_context_words_are_refused() -> None:
    policy = PasswordPolicy(context_words=["GatepassDemo"], common_passwords=frozenset)
    assert policy.problems("gatepassdemo") == [
        "This password is too easy to guess for this site; choose another."
    ]


def test_several_reasons_are_all_listed(policy: PasswordPolicy) -> None:
    with pytest.raises(PasswordPolicyError) as caught:
        policy.check("monkey", email="monkey@example.com")
    assert caught.value.reasons == (
        "Use at least 8 characters.",
        "This password is one of the most common ones; choose another.",
        "Do not use your email address as your password.",
    )


def test_bundled_list_has_ten_thousand_entries() -> None:
    common = load_common_passwords()
    assert len(common) == 10_000
    assert {"123456", "password", "qwerty", "letmein"} <= common


def test_the_list_is_loaded_lazily_and_once_per_policy() -> None:
    loads: list[int] = []

    def loader() -> frozenset[str]:
        loads.append(1)
        return frozenset({"hunter2hunter2"})

    policy = PasswordPolicy(common_passwords=loader)
    assert loads == []
    assert policy.problems("Hunter2Hunter2") != []
    assert policy.problems("another fine passphrase") == []
    assert loads == [1]


def test_an_oversized_password_is_refused_before_it_is_normalized(
    policy: PasswordPolicy,
) -> None:
    huge = "\ufdfa" * 200_000
    tracemalloc.start()
    try:
        reasons = policy.problems(huge)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert any("shorter" in reason for reason in reasons)
    # NFKC would have built 3.6 million characters (megabytes) first.
    assert peak < 100_000


def test_a_password_that_cannot_be_encoded_is_refused_not_an_error(
    policy: PasswordPolicy,
) -> None:
    reasons = policy.problems("correct horse \ud800 battery")
    assert reasons == ["The password contains characters that cannot be used; remove them."]


def test_an_oversized_email_is_not_normalized_to_compare_with_the_password(
    policy: PasswordPolicy,
) -> None:
    huge = "\ufdfa" * 200_000 + "@example.com"
    tracemalloc.start()
    try:
        reasons = policy.problems("a perfectly fine passphrase", email=huge)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert reasons == []
    assert peak < 1_000_000
