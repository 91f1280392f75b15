"""Every Wycheproof JSON Web Signature and JSON Web Key vector gets the right verdict.

The vectors are in ``tests/vectors/wycheproof`` (data only, Apache-2.0; its README.md
gives the source commit and the schema). Eight cases are labelled wrongly in the file; they are
listed in ``KNOWN_DEFECTS`` with the correct verdict asserted instead.
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from gatepass.errors import InvalidKeyError, TokenError
from gatepass.tokens import Key, KeySet, verify_jws

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "wycheproof"


class Defect(NamedTuple):
    """A vector whose label is wrong: the verdict gatepass must give, and why."""

    valid: bool
    reason: str
    # For the RFC 7520 cases: the JWK repaired as the RFC meant it, which must verify.
    repair: Callable[[dict[str, Any]], dict[str, Any]] | None = None


def _drop_alg(jwk: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in jwk.items() if k != "alg"}


def _es512(jwk: dict[str, Any]) -> dict[str, Any]:
    return {**jwk, "alg": "ES512"}


# Upstream report: C2SP/wycheproof#236. Each verdict was cross-checked with PyJWT
# 2.15.1 and joserfc 1.8.0 (README.md of the vectors).
KNOWN_DEFECTS: dict[int, Defect] = {
    # Labelled invalid, but byte-identical to tcId 357 (valid): the '=' padding the
    # case is about was lost when the file was generated.
    367: Defect(True, "invalidBase64Padding: identical to tcId 357, padding lost (#236)"),
    370: Defect(True, "invalidBase64PaddingInPayload: identical to tcId 357 (#236)"),
    # Labelled valid, but they contain '?', which is not base64url; the MAC is tcId
    # 357's, computed over the input without the '?'.
    372: Defect(False, "InvalidCharacterInsertedInHeader: '?' is not base64url (#236)"),
    373: Defect(False, "InvalidCharacterInsertedInPayload: '?' is not base64url (#236)"),
    # RFC 7520 Figure 20 is PS384 but the group's JWK says "alg": "PS256". Strict
    # pinning (RFC 8725 §3.1) refuses it, as the file itself does for tcId 338/340;
    # with the JWK's wrong alg dropped and PS384 pinned, it verifies.
    346: Defect(False, "RFC 7520 Figure 20: JWK alg PS256, token PS384", _drop_alg),
    350: Defect(False, "RFC 7520 Figure 20 (key_ops variant): same", _drop_alg),
    # RFC 7520 Figure 27: the JWK says "ES521", not a registered algorithm (ES512 is
    # meant). Unknown algorithms are refused; normalised to ES512 it verifies.
    347: Defect(False, "RFC 7520 Figure 27: JWK alg 'ES521' is unregistered", _es512),
    351: Defect(False, "RFC 7520 Figure 27 (key_ops variant): same", _es512),
}


def _load(name: str) -> list[tuple[int, dict[str, Any], dict[str, Any]]]:
    document = json.loads((VECTORS / name).read_text())
    return [
        (test["tcId"], group, test) for group in document["testGroups"] for test in group["tests"]
    ]


JWS_CASES = _load("json_web_signature_test.json")
JWK_CASES = _load("json_web_key_test.json")


def decode_header(token: str) -> dict[str, Any]:
    segment = token.split(".")[0]
    header: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    )
    return header


@functools.cache
def _key(jwk_json: str, algorithm: Any) -> Key | None:
    # RSA private keys are checked for consistency on load (slow); load each once.
    try:
        return Key.from_jwk(json.loads(jwk_json), algorithm=algorithm)
    except InvalidKeyError:
        return None


@functools.cache
def _keyset(jwks_json: str) -> KeySet | None:
    try:
        return KeySet.from_jwks(json.loads(jwks_json))
    except InvalidKeyError:
        return None


def _jws_verdict(jwk: dict[str, Any], token: str, algorithm: Any = None) -> bool:
    key = _key(json.dumps(jwk, sort_keys=True), algorithm)
    if key is None:
        return False
    try:
        verify_jws(token, key)
    except TokenError:
        return False
    return True


def _jwks_verdict(jwks: dict[str, Any], token: str) -> bool:
    keyset = _keyset(json.dumps(jwks, sort_keys=True))
    if keyset is None:
        return False
    try:
        verify_jws(token, keyset)
    except TokenError:
        return False
    return True


def test_all_vectors_are_present() -> None:
    assert len(JWS_CASES) == 401
    assert len(JWK_CASES) == 26


@pytest.mark.parametrize(
    ("tc_id", "group", "test"), JWS_CASES, ids=[f"tc{c[0]}" for c in JWS_CASES]
)
def test_json_web_signature_vector(tc_id: int, group: dict[str, Any], test: dict[str, Any]) -> None:
    defect = KNOWN_DEFECTS.get(tc_id)
    expected = defect.valid if defect else test["result"] == "valid"
    if defect is None:
        assert test["result"] in ("valid", "invalid")
    jwks = [group["private"]] + ([group["public"]] if "public" in group else [])
    for jwk in jwks:
        assert _jws_verdict(jwk, test["jws"]) is expected, test["comment"]
    if defect is not None and defect.repair is not None:
        header_alg = decode_header(test["jws"])["alg"]
        for jwk in jwks:
            assert _jws_verdict(defect.repair(jwk), test["jws"], header_alg) is True


@pytest.mark.parametrize(
    ("tc_id", "group", "test"), JWK_CASES, ids=[f"tc{c[0]}" for c in JWK_CASES]
)
def test_json_web_key_vector(tc_id: int, group: dict[str, Any], test: dict[str, Any]) -> None:
    expected = test["result"] == "valid"
    documents = [group["private"]] + ([group["public"]] if "public" in group else [])
    for jwks in documents:
        assert _jwks_verdict(jwks, test["jws"]) is expected, (tc_id, test["comment"])


def test_invalid_jwk_vectors_fail_at_key_loading_not_later() -> None:
    # Key problems must surface as InvalidKeyError when the set is loaded, except
    # where the key is fine and only the token is wrong (modified signature).
    for _tc_id, group, test in JWK_CASES:
        if test["result"] == "valid" or test["comment"] == "rejectsModifiedSignature":
            continue
        for jwks in [group["private"]] + ([group["public"]] if "public" in group else []):
            with pytest.raises(InvalidKeyError):
                KeySet.from_jwks(jwks)
