"""Email normal form: only what provably reaches one mailbox is folded (CWE-176/178)."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable

import pytest

from gatepass.errors import InvalidEmailError
from gatepass.users import normalize_email
from gatepass.users.emails import legacy_email_key, local_part


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Ann@Example.com", "ann@example.com"),
        ("  ann@example.com\n", "ann@example.com"),
        ("Ünïcode@EXAMPLE.com", "Ünïcode@example.com"),  # ASCII case only
        ("u\u0308ni\u0308code@example.com", "ünïcode@example.com"),  # decomposed -> NFC
        ("STRASSE@example.com", "strasse@example.com"),
        ("Straße@example.com", "straße@example.com"),  # "ß" is not "ss"
        ("\u0430nn@example.com", "\u0430nn@example.com"),  # Cyrillic a stays itself
        ("ann@BÜCHER.de", "ann@bücher.de"),  # IDNA2008 / UTS #46 mapping
        ("ann@xn--bcher-kva.de", "ann@bücher.de"),  # the A-label is the same domain
        ("ann@straße.de", "ann@straße.de"),  # IDNA2008: not strasse.de
        ("first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk"),
    ],
)
def test_normalize_email(given: str, expected: str) -> None:
    assert normalize_email(given) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "ann",
        "@example.com",
        "ann@",
        "ann@.example.com",
        "ann@example.com.",
        "ann@exa..mple.com",
        "an n@example.com",
        "ann@exa\u0000mple.com",
        "ann\u200b@example.com",  # zero-width space hides a different address
        "\u212aelvin@example.com",  # Kelvin sign: NFKC would make it "K"
        "\uff21nn@example.com",  # full-width capital A
        "\ufb01nn@example.com",  # "ﬁ" ligature
        "ann@xn--zz.example",  # an A-label IDNA refuses
        "a" * 250 + "@example.com",
    ],
)
def test_normalize_email_refuses_text_that_is_no_address(bad: str) -> None:
    with pytest.raises(InvalidEmailError) as caught:
        normalize_email(bad)
    assert caught.value.status_code == 422
    assert caught.value.to_dict()["error"] == "invalid_email"


@pytest.mark.parametrize(
    ("typed", "legacy"),
    [
        ("JÖRG@example.com", "jörg@example.com"),  # stored case-folded by the first form
        ("Straße@example.com", None),  # its first-form key "strasse@" is ASCII: never used
        ("\u212aelvin@example.com", None),
        ("ann@example.com", None),
    ],
)
def test_legacy_key_finds_only_non_ascii_rows_of_the_first_form(
    typed: str, legacy: str | None
) -> None:
    assert legacy_email_key(typed) == legacy


def test_local_part_is_text_before_the_last_at() -> None:
    assert local_part("ann.smith@example.com") == "ann.smith"
    assert local_part("no-at") == "no-at"


def _peak_bytes_of(call: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        call()
    except InvalidEmailError:
        pass
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak


def test_an_oversized_address_is_refused_before_it_is_normalized() -> None:
    # U+FDFA grows eighteen-fold under NFKC: 200,000 of them would be 3.6 million
    # characters (megabytes, seconds of CPU) before any length check could refuse them.
    huge = "\ufdfa" * 200_000 + "@example.com"
    with pytest.raises(InvalidEmailError):
        normalize_email(huge)
    assert _peak_bytes_of(lambda: normalize_email(huge)) < 100_000


def test_an_address_that_only_grows_too_long_under_nfkc_is_refused() -> None:
    # 20 characters as typed, 360 after NFKC: past the 254 of RFC 5321.
    with pytest.raises(InvalidEmailError):
        normalize_email("\ufdfa" * 20 + "@example.com")
