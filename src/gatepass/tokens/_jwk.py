"""JWK (RFC 7517/7518) to ``cryptography`` key objects and back, with the checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from gatepass.errors import InvalidKeyError, MalformedTokenError

from ._encoding import b64decode, b64encode
from .algorithms import (
    ALGORITHMS,
    CURVES,
    Algorithm,
    KeyMaterial,
    family,
    hmac_size,
    public_of,
)

MIN_RSA_BITS: Final = 2048
# OpenSSL's own ceiling (OPENSSL_RSA_MAX_MODULUS_BITS); a bigger modulus only makes
# each verification cost more, a denial of service from a hostile JWKS.
MAX_RSA_BITS: Final = 16384
_ED25519_P: Final = 2**255 - 19
_ED25519_ORDER_8_Y: Final = int.from_bytes(
    bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"), "little"
)
# The y coordinates of the 8 small-order points (orders 1, 2, 4, 8), either sign of
# x (libsodium's blocklist; Wycheproof eddsa small-order keys; RFC 7748 §7).
_ED25519_SMALL_ORDER_Y: Final = frozenset(
    {1, _ED25519_P - 1, 0, _ED25519_ORDER_8_Y, _ED25519_P - _ED25519_ORDER_8_Y}
)
_CURVE_ALG: Final = {name: alg for alg, (_c, name, _s, _n) in CURVES.items()}
_ENCRYPTION_OPS: Final = frozenset(
    {"encrypt", "decrypt", "wrapKey", "unwrapKey", "deriveKey", "deriveBits"}
)
# ROCA (CVE-2017-15361): moduli from the flawed Infineon generator are, modulo each of
# these small primes, powers of 65537. A random modulus passes all of them with
# probability below 2**-40 (Nemec et al., CCS 2017, §4).
_ROCA_PRIMES: Final = (11, 13, 17, 19, 37, 53, 61, 71, 73, 79, 97, 103, 107, 109, 127, 151, 157)
_ROCA_POWERS: Final = tuple(frozenset(pow(65537, k, p) for k in range(p)) for p in _ROCA_PRIMES)


def is_roca_modulus(n: int) -> bool:
    """Whether an RSA modulus has the ROCA fingerprint (CVE-2017-15361)."""
    return all(n % p in powers for p, powers in zip(_ROCA_PRIMES, _ROCA_POWERS, strict=True))


def _int(jwk: Mapping[str, Any], name: str) -> int:
    return int.from_bytes(_bytes(jwk, name), "big")


def _bytes(jwk: Mapping[str, Any], name: str) -> bytes:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise InvalidKeyError(f"The JWK has no '{name}' member (a base64url string).")
    try:
        return b64decode(value.encode("ascii"))
    except (MalformedTokenError, UnicodeEncodeError):
        raise InvalidKeyError(f"The JWK member '{name}' is not strict base64url.") from None


def check_usage(jwk: Mapping[str, Any]) -> None:
    """Refuse a JWK marked for encryption (RFC 7517 §4.2, §4.3).

    Raises:
        InvalidKeyError: ``use`` is not ``sig``, or ``key_ops`` names encryption.
    """
    use = jwk.get("use")
    if use is not None and use != "sig":
        raise InvalidKeyError(f"The JWK is for use {use!r}; only 'sig' keys verify JWS.")
    ops = jwk.get("key_ops")
    if ops is not None:
        if not isinstance(ops, list) or not all(isinstance(op, str) for op in ops):
            raise InvalidKeyError("The JWK 'key_ops' must be a list of strings.")
        if _ENCRYPTION_OPS.intersection(ops):
            raise InvalidKeyError(f"The JWK key_ops {ops} are for encryption, not signatures.")


def jwk_algorithm(jwk: Mapping[str, Any], algorithm: str | None) -> Algorithm:
    """The algorithm to pin: the JWK's ``alg``, else ``algorithm``, else the curve's.

    Raises:
        InvalidKeyError: unknown or conflicting algorithm, or none can be chosen.
    """
    declared = jwk.get("alg")
    if declared is not None and not isinstance(declared, str):
        raise InvalidKeyError("The JWK 'alg' must be a string (RFC 7517 §4.4).")
    if declared is not None and algorithm is not None and declared != algorithm:
        raise InvalidKeyError(f"The JWK says alg {declared!r} but {algorithm!r} was requested.")
    chosen = declared if declared is not None else algorithm
    kty = jwk.get("kty")
    if chosen is None:
        if kty == "EC":
            chosen = _CURVE_ALG.get(str(jwk.get("crv")))
        elif kty == "OKP":
            chosen = "EdDSA"
    if chosen is None:
        raise InvalidKeyError(
            f"The {kty} JWK has no 'alg'; pass algorithm= so the key is pinned to one "
            "algorithm (RFC 8725 §3.1)."
        )
    if chosen not in ALGORITHMS:
        raise InvalidKeyError(
            f"{chosen!r} is not a JWS algorithm gatepass accepts; use one of {sorted(ALGORITHMS)}."
        )
    return chosen  # type: ignore[return-value]


def material_from_jwk(jwk: Mapping[str, Any], algorithm: Algorithm) -> KeyMaterial:
    """Build the key object of a JWK for a pinned algorithm, with every check.

    Raises:
        InvalidKeyError: the JWK does not fit the algorithm or is unsafe.
    """
    kty = jwk.get("kty")
    kind = family(algorithm)
    expected = {"HS": "oct", "RS": "RSA", "PS": "RSA", "ES": "EC", "EdDSA": "OKP"}[kind]
    if kty != expected:
        raise InvalidKeyError(f"{algorithm} needs a JWK of kty {expected!r}, not {kty!r}.")
    if kind == "HS":
        return _bytes(jwk, "k")
    if kind == "EdDSA":
        if jwk.get("crv") != "Ed25519":
            raise InvalidKeyError("EdDSA keys must be on curve 'Ed25519'.")
        x = _bytes(jwk, "x")
        try:
            if "d" in jwk:
                private = ed25519.Ed25519PrivateKey.from_private_bytes(_bytes(jwk, "d"))
                if private.public_key().public_bytes_raw() != x:
                    raise InvalidKeyError("The Ed25519 JWK's 'd' does not match its 'x'.")
                return private
            return ed25519.Ed25519PublicKey.from_public_bytes(x)
        except ValueError as exc:
            raise InvalidKeyError(f"The Ed25519 JWK is not valid: {exc}") from None
    if kind == "ES":
        return _ec_from_jwk(jwk, algorithm)
    return _rsa_from_jwk(jwk)


def _ec_from_jwk(jwk: Mapping[str, Any], algorithm: Algorithm) -> KeyMaterial:
    curve, name, size, _order = CURVES[algorithm]
    if jwk.get("crv") != name:
        raise InvalidKeyError(f"{algorithm} needs curve {name!r}, not {jwk.get('crv')!r}.")
    x, y = _bytes(jwk, "x"), _bytes(jwk, "y")
    # Coordinates are full-length (RFC 7518 §6.2.1.2).
    if len(x) != size or len(y) != size:
        raise InvalidKeyError(f"The {name} JWK coordinates must be {size} bytes each.")
    public = ec.EllipticCurvePublicNumbers(
        int.from_bytes(x, "big"), int.from_bytes(y, "big"), curve()
    )
    try:
        # cryptography checks the point is on the curve (invalid-curve attacks).
        if "d" in jwk:
            d = _bytes(jwk, "d")
            if len(d) != size:
                raise InvalidKeyError(f"The {name} JWK 'd' must be {size} bytes.")
            return ec.EllipticCurvePrivateNumbers(int.from_bytes(d, "big"), public).private_key()
        return public.public_key()
    except ValueError as exc:
        raise InvalidKeyError(f"The EC JWK is not a valid {name} key: {exc}") from None


def _rsa_from_jwk(jwk: Mapping[str, Any]) -> KeyMaterial:
    n, e = _int(jwk, "n"), _int(jwk, "e")
    check_rsa_public(n, e)
    public = rsa.RSAPublicNumbers(e, n)
    try:
        if "d" not in jwk:
            return public.public_key()
        d = _int(jwk, "d")
        if all(name in jwk for name in ("p", "q", "dp", "dq", "qi")):
            p, q = _int(jwk, "p"), _int(jwk, "q")
            dp, dq, qi = _int(jwk, "dp"), _int(jwk, "dq"), _int(jwk, "qi")
        else:
            p, q = rsa.rsa_recover_prime_factors(n, e, d)
            dp, dq, qi = rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q)
        return rsa.RSAPrivateNumbers(p, q, d, dp, dq, qi, public).private_key()
    except ValueError as exc:
        raise InvalidKeyError(f"The RSA JWK is not a valid key: {exc}") from None


def check_rsa_public(n: int, e: int) -> None:
    """Refuse weak RSA public keys.

    Raises:
        InvalidKeyError: under 2048 bits (NIST SP 800-131A), an exponent that is
            not odd and at least 3 (e=1 makes the signature the message), or the
            ROCA fingerprint (CVE-2017-15361).
    """
    if n.bit_length() < MIN_RSA_BITS:
        raise InvalidKeyError(
            f"The RSA key has {n.bit_length()} bits; at least {MIN_RSA_BITS} are required."
        )
    if n.bit_length() > MAX_RSA_BITS:
        raise InvalidKeyError(
            f"The RSA key has {n.bit_length()} bits; at most {MAX_RSA_BITS} are accepted."
        )
    if e < 3 or e % 2 == 0:
        raise InvalidKeyError(f"The RSA public exponent {e} is not allowed; use 65537.")
    if is_roca_modulus(n):
        raise InvalidKeyError("The RSA key has the ROCA weakness (CVE-2017-15361); replace it.")


def check_ed25519_public(raw: bytes) -> None:
    """Refuse Ed25519 public keys that are small-order or non-canonical.

    With a small-order key (the identity point, say) one signature verifies for
    every message; a non-canonical encoding (y >= p) is refused by RFC 8032
    §5.1.3 decoding. OpenSSL checks neither when a key is loaded.

    Raises:
        InvalidKeyError: ``y`` is not below p or is a small-order point's ``y``.
    """
    y = int.from_bytes(raw, "little") & ((1 << 255) - 1)
    if y >= _ED25519_P:
        raise InvalidKeyError("The Ed25519 public key is not canonically encoded (RFC 8032).")
    if y in _ED25519_SMALL_ORDER_Y:
        raise InvalidKeyError(
            "The Ed25519 public key is a small-order point; any signature would verify "
            "(RFC 7748 §7, Wycheproof eddsa small-order keys)."
        )


def check_hmac_secret(secret: bytes, algorithm: str) -> None:
    """Refuse HMAC secrets shorter than the hash output (RFC 7518 §3.2).

    Raises:
        InvalidKeyError: the secret is too short.
    """
    need = hmac_size(algorithm)
    if len(secret) < need:
        raise InvalidKeyError(
            f"{algorithm} needs a secret of at least {need} bytes (RFC 7518 §3.2); this one "
            f"has {len(secret)}. Use a random secret such as secrets.token_urlsafe({need}), "
            f"or Key.generate({algorithm!r})."
        )


def _int_b64(value: int, length: int | None = None) -> str:
    size = length if length is not None else max(1, (value.bit_length() + 7) // 8)
    return b64encode(value.to_bytes(size, "big")).decode("ascii")


def public_members(material: KeyMaterial, algorithm: Algorithm) -> dict[str, str]:
    """The RFC 7638 required public members of a key (no ``alg``/``kid``)."""
    if isinstance(material, bytes):
        return {"k": b64encode(material).decode("ascii"), "kty": "oct"}
    if isinstance(material, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        public_ed = public_of(material)
        assert isinstance(public_ed, ed25519.Ed25519PublicKey)
        x = b64encode(public_ed.public_bytes_raw()).decode("ascii")
        return {"crv": "Ed25519", "kty": "OKP", "x": x}
    if isinstance(material, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        _curve, name, size, _order = CURVES[algorithm]
        point = public_of(material)
        assert isinstance(point, ec.EllipticCurvePublicKey)
        numbers = point.public_numbers()
        return {
            "crv": name,
            "kty": "EC",
            "x": _int_b64(numbers.x, size),
            "y": _int_b64(numbers.y, size),
        }
    rsa_public = public_of(material)
    assert isinstance(rsa_public, rsa.RSAPublicKey)
    numbers_rsa = rsa_public.public_numbers()
    return {"e": _int_b64(numbers_rsa.e), "kty": "RSA", "n": _int_b64(numbers_rsa.n)}


def private_members(material: KeyMaterial, algorithm: Algorithm) -> dict[str, str]:
    """The private members of a key's JWK (empty for a public key)."""
    if isinstance(material, ed25519.Ed25519PrivateKey):
        return {"d": b64encode(material.private_bytes_raw()).decode("ascii")}
    if isinstance(material, ec.EllipticCurvePrivateKey):
        size = CURVES[algorithm][2]
        return {"d": _int_b64(material.private_numbers().private_value, size)}
    if isinstance(material, rsa.RSAPrivateKey):
        numbers = material.private_numbers()
        return {
            "d": _int_b64(numbers.d),
            "p": _int_b64(numbers.p),
            "q": _int_b64(numbers.q),
            "dp": _int_b64(numbers.dmp1),
            "dq": _int_b64(numbers.dmq1),
            "qi": _int_b64(numbers.iqmp),
        }
    return {}
