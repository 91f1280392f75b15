"""The JWS algorithms gatepass signs and verifies with, built on ``cryptography``.

Each key gets its signing and verifying functions built once, with the padding and
hash objects prepared, so the hot path is one call into OpenSSL.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Final, Literal, get_args

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

__all__ = [
    "ALGORITHMS",
    "Algorithm",
    "KeyMaterial",
    "Signer",
    "Verify",
]

Algorithm = Literal[
    "HS256",
    "HS384",
    "HS512",
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
]
ALGORITHMS: Final[frozenset[str]] = frozenset(get_args(Algorithm))

KeyMaterial = (
    bytes
    | rsa.RSAPrivateKey
    | rsa.RSAPublicKey
    | ec.EllipticCurvePrivateKey
    | ec.EllipticCurvePublicKey
    | ed25519.Ed25519PrivateKey
    | ed25519.Ed25519PublicKey
)
Signer = Callable[[bytes], bytes]
Verify = Callable[[bytes, bytes], bool]

_HASH_NAMES: Final = {"256": "sha256", "384": "sha384", "512": "sha512"}
_HASHES: Final[dict[str, type[hashes.HashAlgorithm]]] = {
    "256": hashes.SHA256,
    "384": hashes.SHA384,
    "512": hashes.SHA512,
}
# Curve, coordinate/scalar size in bytes and group order n, per RFC 7518 §3.4.
CURVES: Final[dict[str, tuple[type[ec.EllipticCurve], str, int, int]]] = {
    "ES256": (
        ec.SECP256R1,
        "P-256",
        32,
        0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    ),
    "ES384": (
        ec.SECP384R1,
        "P-384",
        48,
        int(
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
            "C7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973",
            16,
        ),
    ),
    "ES512": (
        ec.SECP521R1,
        "P-521",
        66,
        int(
            "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
            "FFFA51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409",
            16,
        ),
    ),
}


def family(algorithm: str) -> Literal["HS", "RS", "PS", "ES", "EdDSA"]:
    """The key family an algorithm needs (``"HS"``, ``"RS"``, ``"PS"``, ``"ES"``, ``"EdDSA"``)."""
    if algorithm == "EdDSA":
        return "EdDSA"
    prefix = algorithm[:2]
    if prefix == "HS":
        return "HS"
    if prefix == "RS":
        return "RS"
    if prefix == "PS":
        return "PS"
    return "ES"


def hmac_size(algorithm: str) -> int:
    """Output size in bytes of an HS* algorithm's hash (the minimum secret size)."""
    return int(algorithm[2:]) // 8


def build_verify(algorithm: Algorithm, material: KeyMaterial) -> Verify:
    """Return ``verify(signing_input, signature) -> bool`` for this key, built once.

    Args:
        algorithm: the algorithm pinned to the key.
        material: the key (a secret for HS*, a cryptography key object otherwise).

    Returns:
        A function that never raises for a bad signature; it returns ``False``.
    """
    kind = family(algorithm)
    if kind == "HS":
        assert isinstance(material, bytes)
        return _hmac_verify(material, _HASH_NAMES[algorithm[2:]])
    if isinstance(material, bytes):
        raise TypeError("an asymmetric algorithm needs a key object")
    public = public_of(material)
    if kind == "EdDSA":
        assert isinstance(public, ed25519.Ed25519PublicKey)
        return _ed25519_verify(public)
    if kind == "ES":
        assert isinstance(public, ec.EllipticCurvePublicKey)
        return _ecdsa_verify(public, algorithm)
    assert isinstance(public, rsa.RSAPublicKey)
    return _rsa_verify(public, algorithm)


PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey


def public_of(material: KeyMaterial) -> bytes | PublicKey:
    """The public half of a private key; other material unchanged."""
    if isinstance(
        material, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
    ):
        return material.public_key()
    return material


def build_signer(algorithm: Algorithm, material: KeyMaterial) -> Signer | None:
    """Return ``sign(signing_input) -> signature`` for a private key, else ``None``.

    Args:
        algorithm: the algorithm pinned to the key.
        material: the key material.

    Returns:
        The signing function, or ``None`` when the key is public only.
    """
    kind = family(algorithm)
    if kind == "HS":
        assert isinstance(material, bytes)
        secret, name = material, _HASH_NAMES[algorithm[2:]]
        return lambda data: hmac.digest(secret, data, name)
    if isinstance(material, ed25519.Ed25519PrivateKey):
        return material.sign
    if isinstance(material, ec.EllipticCurvePrivateKey):
        size = CURVES[algorithm][2]
        scheme = ec.ECDSA(_HASHES[algorithm[2:]]())
        private_ec = material

        def sign_ecdsa(data: bytes) -> bytes:
            # JWS wants raw r||s of fixed length, not DER (RFC 7518 §3.4).
            r, s = decode_dss_signature(private_ec.sign(data, scheme))
            return r.to_bytes(size, "big") + s.to_bytes(size, "big")

        return sign_ecdsa
    if isinstance(material, rsa.RSAPrivateKey):
        hash_ = _HASHES[algorithm[2:]]()
        pad = _rsa_padding(kind, hash_)
        private_rsa = material
        return lambda data: private_rsa.sign(data, pad, hash_)
    return None


def _rsa_padding(kind: str, hash_: hashes.HashAlgorithm) -> padding.AsymmetricPadding:
    if kind == "PS":
        # RFC 7518 §3.5: the salt is as long as the hash output; no other length.
        return padding.PSS(mgf=padding.MGF1(hash_), salt_length=hash_.digest_size)
    return padding.PKCS1v15()


def _hmac_verify(secret: bytes, name: str) -> Verify:
    digest, equal = hmac.digest, hmac.compare_digest

    def verify(data: bytes, signature: bytes) -> bool:
        # Constant-time comparison (OWASP ASVS 6.2.x / CWE-208).
        return equal(digest(secret, data, name), signature)

    return verify


def _ed25519_verify(public: ed25519.Ed25519PublicKey) -> Verify:
    check = public.verify

    def verify(data: bytes, signature: bytes) -> bool:
        if len(signature) != 64:
            return False
        try:
            check(signature, data)
        except InvalidSignature:
            return False
        return True

    return verify


def _ecdsa_verify(public: ec.EllipticCurvePublicKey, algorithm: str) -> Verify:
    _curve, _name, size, order = CURVES[algorithm]
    scheme = ec.ECDSA(_HASHES[algorithm[2:]]())
    check = public.verify
    from_bytes = int.from_bytes

    def verify(data: bytes, signature: bytes) -> bool:
        # Exactly r||s of the curve size (RFC 7518 §3.4); no DER, no padding.
        if len(signature) != 2 * size:
            return False
        r = from_bytes(signature[:size], "big")
        s = from_bytes(signature[size:], "big")
        # r, s must lie in [1, n-1] (CVE-2022-21449, "psychic signatures").
        if not (0 < r < order and 0 < s < order):
            return False
        try:
            check(encode_dss_signature(r, s), data, scheme)
        except InvalidSignature:
            return False
        return True

    return verify


def _rsa_verify(public: rsa.RSAPublicKey, algorithm: str) -> Verify:
    hash_ = _HASHES[algorithm[2:]]()
    pad = _rsa_padding(family(algorithm), hash_)
    check = public.verify
    length = (public.key_size + 7) // 8

    def verify(data: bytes, signature: bytes) -> bool:
        # The signature is exactly the modulus length (RFC 8017 §8.2.2 step 1).
        if len(signature) != length:
            return False
        try:
            check(signature, data, pad, hash_)
        except InvalidSignature:
            return False
        return True

    return verify


def sha256(data: bytes) -> bytes:
    """SHA-256 digest (for thumbprints and cache keys)."""
    return hashlib.sha256(data).digest()
