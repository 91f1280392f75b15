"""TOTP maths (RFC 6238): the RFC's own vectors, the ±1 step window, the URI."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import pytest

from gatepass.mfa import code_at, match_step, new_secret, otpauth_uri

# RFC 6238 Appendix B, SHA-1 seed "12345678901234567890"; 8-digit codes, last 6 here.
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()


@pytest.mark.parametrize(
    ("at", "code"),
    [(59, "287082"), (1111111109, "081804"), (1234567890, "005924"), (2000000000, "279037")],
)
def test_codes_match_the_rfc_6238_vectors(at: int, code: str) -> None:
    assert code_at(RFC_SECRET, at) == code


def test_a_new_secret_has_160_bits() -> None:
    secret = new_secret()
    assert len(base64.b32decode(secret)) == 20
    assert secret != new_secret()


def test_match_accepts_one_step_either_side_and_no_further() -> None:
    secret = new_secret()
    now = 1_700_000_010.0
    step = int(now) // 30
    for offset in (-1, 0, 1):
        assert match_step(secret, code_at(secret, now + 30 * offset), clock=lambda: now) == (
            step + offset
        )
    for offset in (-2, 2):
        assert match_step(secret, code_at(secret, now + 30 * offset), clock=lambda: now) is None


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦"])
def test_match_refuses_what_is_not_six_ascii_digits(code: str) -> None:
    assert match_step(new_secret(), code, clock=lambda: 1_700_000_000.0) is None


def test_match_ignores_spaces_the_app_shows() -> None:
    secret = new_secret()
    code = code_at(secret, 1_700_000_000)
    assert match_step(secret, f"{code[:3]} {code[3:]}", clock=lambda: 1_700_000_000.0)


def test_otpauth_uri_names_the_issuer_and_the_account() -> None:
    uri = otpauth_uri(RFC_SECRET, account="ada@example.com", issuer="Example Co")
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert parts.path == "/Example%20Co:ada%40example.com"
    query = parse_qs(parts.query)
    assert query["secret"] == [RFC_SECRET]
    assert query["issuer"] == ["Example Co"]
