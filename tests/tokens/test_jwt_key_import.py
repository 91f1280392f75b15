"""Key import refuses keys that make verification meaningless or expensive.

Ed25519 small-order and non-canonical public keys (RFC 8032 §5.1.3, RFC 7748 §7;
the Wycheproof eddsa small-order keys), oversized RSA moduli, and JWK members of
the wrong type.
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from gatepass.errors import InvalidKeyError
from gatepass.tokens import Key, KeySet
from gatepass.tokens._encoding import b64encode

P = 2**255 - 19
# The y coordinates of the eight points of order 1, 2, 4 and 8 (libsodium's list).
ORDER_8_Y = int.from_bytes(
    bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"), "little"
)
SMALL_ORDER_Y = [1, P - 1, 0, ORDER_8_Y, P - ORDER_8_Y]
ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")


def encoding(y: int, sign: int = 0) -> bytes:
    return (y | (sign << 255)).to_bytes(32, "little")


SMALL_ORDER = [encoding(y, sign) for y in SMALL_ORDER_Y for sign in (0, 1)]
NON_CANONICAL = [encoding(y) for y in (P, P + 1, P + 2, 2**255 - 1)]
REFUSED = {f"small-order-{i}": raw for i, raw in enumerate(SMALL_ORDER)} | {
    f"non-canonical-{i}": raw for i, raw in enumerate(NON_CANONICAL)
}


def _pem(raw: bytes) -> bytes:
    der = ED25519_SPKI_PREFIX + raw
    public = serialization.load_der_public_key(der)
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_ed25519_small_order_or_non_canonical_key_is_refused_from_a_jwk(name: str) -> None:
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64encode(REFUSED[name]).decode()}
    with pytest.raises(InvalidKeyError, match=r"small-order|canonical"):
        Key.from_jwk(jwk)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_ed25519_small_order_or_non_canonical_key_is_refused_from_a_pem(name: str) -> None:
    with pytest.raises(InvalidKeyError, match=r"small-order|canonical"):
        Key.from_pem(_pem(REFUSED[name]))


def test_identity_key_forgery_is_impossible() -> None:
    # With the identity point as key, the signature identity||0^32 verifies any message.
    identity = encoding(1)
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64encode(identity).decode(), "kid": "x"}
    with pytest.raises(InvalidKeyError):
        KeySet.from_jwks({"keys": [jwk]})
    assert len(KeySet.from_jwks({"keys": [jwk]}, skip_unusable=True)) == 0


def test_ordinary_ed25519_keys_still_load() -> None:
    for _ in range(50):
        key = Key.generate("EdDSA")
        public = Key.from_jwk(key.public_jwk())
        assert public.verify_signature(b"m", key.sign(b"m"))


def _rsa_jwk(bits: int) -> dict[str, str]:
    n = secrets.randbits(bits) | (1 << (bits - 1)) | 1
    raw = n.to_bytes((bits + 7) // 8, "big")
    return {"kty": "RSA", "alg": "RS256", "n": b64encode(raw).decode(), "e": "AQAB"}


def test_rsa_modulus_over_16384_bits_is_refused() -> None:
    with pytest.raises(InvalidKeyError, match="at most 16384"):
        Key.from_jwk(_rsa_jwk(16_385))
    with pytest.raises(InvalidKeyError, match="at most 16384"):
        Key.from_jwk(_rsa_jwk(65_537))


def test_rsa_modulus_of_16384_bits_is_accepted() -> None:
    assert Key.from_jwk(_rsa_jwk(16_384)).algorithm == "RS256"


@pytest.mark.parametrize("alg", [["ES256"], {"a": 1}, 256, True])
def test_jwk_alg_that_is_not_a_string_is_an_invalid_key(alg: Any) -> None:
    jwk: dict[str, Any] = dict(Key.generate("ES256").public_jwk(), alg=alg)
    with pytest.raises(InvalidKeyError, match="'alg'"):
        Key.from_jwk(jwk)
    with pytest.raises(InvalidKeyError, match="'alg'"):
        KeySet.from_jwks({"keys": [jwk]})
    assert len(KeySet.from_jwks({"keys": [jwk]}, skip_unusable=True)) == 0
