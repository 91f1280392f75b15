"""``Key``: one signing/verification key with its algorithm and ``kid`` pinned to it."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any, cast

import orjson
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from gatepass.errors import InvalidKeyError

from ._confusion import is_asymmetric_key
from ._encoding import b64encode
from ._jwk import (
    check_ed25519_public,
    check_hmac_secret,
    check_rsa_public,
    check_usage,
    jwk_algorithm,
    material_from_jwk,
    private_members,
    public_members,
)
from .algorithms import (
    ALGORITHMS,
    CURVES,
    Algorithm,
    KeyMaterial,
    build_signer,
    build_verify,
    family,
    hmac_size,
    public_of,
    sha256,
)

__all__ = ["Key"]


class Key:
    """A key pinned to one algorithm, with a ``kid``.

    Build one with :meth:`generate`, :meth:`from_secret`, :meth:`from_pem` or
    :meth:`from_jwk`; the ``cryptography`` key object is made once, here, never
    per token. ``key.verify_signature(signing_input, signature) -> bool`` checks a
    raw signature with the pinned algorithm (it returns ``False``, never raises).
    """

    __slots__ = ("_material", "_sign", "algorithm", "kid", "verify_signature")

    algorithm: Algorithm
    kid: str

    def __init__(self, material: KeyMaterial, *, algorithm: Algorithm, kid: str | None = None):
        """Pin key material to an algorithm (prefer the ``from_*`` constructors).

        Args:
            material: an HMAC secret (bytes) or a ``cryptography`` key object.
            algorithm: the only algorithm this key will sign or verify with.
            kid: the key id; default the RFC 7638 thumbprint.

        Raises:
            InvalidKeyError: the material does not fit the algorithm or is weak.
        """
        if algorithm not in ALGORITHMS:
            raise InvalidKeyError(
                f"{algorithm!r} is not supported; use one of {sorted(ALGORITHMS)}."
            )
        _check_fits(material, algorithm)
        self._material = material
        self.algorithm = algorithm
        self.verify_signature = build_verify(algorithm, material)
        self._sign = build_signer(algorithm, material)
        self.kid = kid if kid is not None else self.thumbprint()

    @classmethod
    def generate(cls, algorithm: Algorithm, *, kid: str | None = None) -> Key:
        """Make a new random key for an algorithm.

        Args:
            algorithm: e.g. ``"ES256"``, ``"EdDSA"``, ``"RS256"`` (2048-bit), ``"HS256"``.
            kid: the key id; default the RFC 7638 thumbprint.

        Returns:
            A private key (it can sign).

        Raises:
            InvalidKeyError: the algorithm is not supported.
        """
        if algorithm not in ALGORITHMS:
            raise InvalidKeyError(f"{algorithm!r} is not supported.")
        kind = family(algorithm)
        material: KeyMaterial
        if kind == "HS":
            material = secrets.token_bytes(hmac_size(algorithm))
        elif kind == "EdDSA":
            material = ed25519.Ed25519PrivateKey.generate()
        elif kind == "ES":
            material = ec.generate_private_key(CURVES[algorithm][0]())
        else:
            material = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return cls(material, algorithm=algorithm, kid=kid)

    @classmethod
    def from_secret(
        cls, secret: str | bytes, *, algorithm: Algorithm = "HS256", kid: str | None = None
    ) -> Key:
        """Make an HMAC key from a shared secret.

        Args:
            secret: at least as long as the hash output (32 bytes for HS256);
                text is UTF-8 encoded.
            algorithm: ``"HS256"``, ``"HS384"`` or ``"HS512"``.
            kid: the key id; default the RFC 7638 thumbprint.

        Returns:
            The key.

        Raises:
            InvalidKeyError: not an HS algorithm, a short secret, or a public key
                passed as a secret.
        """
        if algorithm not in ALGORITHMS or family(algorithm) != "HS":
            raise InvalidKeyError(
                f"from_secret makes HMAC keys (HS256/HS384/HS512), not {algorithm}; "
                "use Key.from_pem or Key.from_jwk for asymmetric keys."
            )
        try:
            raw = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
        except UnicodeEncodeError:
            raise InvalidKeyError("The secret text is not valid Unicode.") from None
        # Public key text as an HMAC secret is the RS/HS confusion attack: searched
        # anywhere and tried as DER, as PyJWT's CVE-2022-29217 fix does (RFC 8725 §2.1).
        if is_asymmetric_key(raw):
            raise InvalidKeyError(
                "This secret is an asymmetric key; load it with Key.from_pem or "
                "Key.from_jwk (RFC 8725 §2.1: key confusion)."
            )
        return cls(raw, algorithm=algorithm, kid=kid)

    @classmethod
    def from_pem(
        cls,
        pem: str | bytes,
        *,
        algorithm: Algorithm | None = None,
        kid: str | None = None,
        password: bytes | None = None,
    ) -> Key:
        """Load a PEM private or public key.

        Args:
            pem: PKCS#8 / traditional private key, or SubjectPublicKeyInfo public key.
            algorithm: required choice for RSA (``"RS256"`` by default, or ``"PS256"``...);
                EC keys default to their curve's algorithm, Ed25519 to ``"EdDSA"``.
            kid: the key id; default the RFC 7638 thumbprint.
            password: for an encrypted private key.

        Returns:
            The key.

        Raises:
            InvalidKeyError: not a PEM key, an unsupported key type, or a mismatch.
        """
        try:
            data = pem.removeprefix("\ufeff").encode("ascii") if isinstance(pem, str) else pem
        except UnicodeEncodeError:
            raise InvalidKeyError("A PEM key is ASCII text.") from None
        material: Any
        try:
            if b"PRIVATE KEY" in data:
                material = serialization.load_pem_private_key(data, password=password)
            else:
                material = serialization.load_pem_public_key(data)
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            raise InvalidKeyError(f"The PEM key could not be loaded: {exc}") from None
        if isinstance(material, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
            curve_algs = {c[1]: a for a, c in CURVES.items()}
            name = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}.get(
                material.curve.name, ""
            )
            algorithm = algorithm or cast(Algorithm | None, curve_algs.get(name))
        elif isinstance(material, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
            algorithm = algorithm or "EdDSA"
        elif isinstance(material, rsa.RSAPrivateKey | rsa.RSAPublicKey):
            algorithm = algorithm or "RS256"
        else:
            raise InvalidKeyError(f"{type(material).__name__} keys are not supported.")
        if algorithm is None:
            raise InvalidKeyError("This EC curve is not supported; use P-256, P-384 or P-521.")
        return cls(material, algorithm=algorithm, kid=kid)

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any], *, algorithm: Algorithm | None = None) -> Key:
        """Load a JWK (public or private).

        Args:
            jwk: the JWK as a mapping; its ``alg`` pins the algorithm when present.
            algorithm: the algorithm when the JWK has no ``alg`` (must agree if it has).

        Returns:
            The key, with the JWK's ``kid`` or else its thumbprint.

        Raises:
            InvalidKeyError: an encryption key, unknown algorithm, kty/curve
                mismatch, invalid point, weak RSA or short HMAC key.
        """
        if not isinstance(jwk, Mapping):
            raise InvalidKeyError("A JWK must be a JSON object.")
        check_usage(jwk)
        pinned = jwk_algorithm(jwk, algorithm)
        kid = jwk.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise InvalidKeyError("The JWK 'kid' must be a string.")
        return cls(material_from_jwk(jwk, pinned), algorithm=pinned, kid=kid)

    @property
    def is_symmetric(self) -> bool:
        """Whether this is an HMAC key (never published)."""
        return isinstance(self._material, bytes)

    @property
    def can_sign(self) -> bool:
        """Whether the key holds private material."""
        return self._sign is not None

    def sign(self, data: bytes) -> bytes:
        """Sign bytes with this key's algorithm.

        Args:
            data: the JWS signing input.

        Returns:
            The raw signature (r||s for ECDSA).

        Raises:
            InvalidKeyError: the key is public only.
        """
        if self._sign is None:
            raise InvalidKeyError(f"Key {self.kid!r} is a public key; it can verify, not sign.")
        return self._sign(data)

    def thumbprint(self) -> str:
        """The RFC 7638 JWK SHA-256 thumbprint, base64url."""
        members = public_members(self._material, self.algorithm)
        return b64encode(sha256(orjson.dumps(members, option=orjson.OPT_SORT_KEYS))).decode()

    def public_jwk(self) -> dict[str, Any]:
        """The public JWK (``kty``, key members, ``alg``, ``kid``, ``use``).

        Returns:
            A dict ready to publish in a JWKS.

        Raises:
            InvalidKeyError: for an HMAC key, which has no public form.
        """
        if self.is_symmetric:
            raise InvalidKeyError("An HMAC key is a shared secret; it has no public JWK.")
        jwk: dict[str, Any] = dict(public_members(self._material, self.algorithm))
        jwk.update(alg=self.algorithm, kid=self.kid, use="sig")
        return jwk

    def private_jwk(self) -> dict[str, Any]:
        """The full JWK including private members (to store a key; never publish it).

        Returns:
            The JWK dict.
        """
        jwk: dict[str, Any] = dict(public_members(self._material, self.algorithm))
        jwk.update(private_members(self._material, self.algorithm))
        jwk.update(alg=self.algorithm, kid=self.kid, use="sig")
        return jwk

    def public_key(self) -> Key:
        """This key without its private part (the same key for HMAC)."""
        return Key(public_of(self._material), algorithm=self.algorithm, kid=self.kid)

    def __repr__(self) -> str:
        kind = "secret" if self.is_symmetric else "private" if self.can_sign else "public"
        return f"Key(algorithm={self.algorithm!r}, kid={self.kid!r}, {kind})"


def _check_fits(material: KeyMaterial, algorithm: Algorithm) -> None:
    kind = family(algorithm)
    if kind == "HS":
        if not isinstance(material, bytes):
            raise InvalidKeyError(f"{algorithm} needs a shared secret, not an asymmetric key.")
        check_hmac_secret(material, algorithm)
        return
    if kind == "EdDSA":
        ok = isinstance(material, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey)
        if isinstance(material, ed25519.Ed25519PublicKey):
            # Every import path (JWK, PEM, a key object) passes here (RFC 8032 §5.1.3).
            check_ed25519_public(material.public_bytes_raw())
    elif kind == "ES":
        ok = isinstance(material, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey)
        if ok:
            curve = cast(ec.EllipticCurvePublicKey, material).curve
            ok = isinstance(curve, CURVES[algorithm][0])
    else:
        ok = isinstance(material, rsa.RSAPrivateKey | rsa.RSAPublicKey)
        if ok:
            public = material.public_key() if isinstance(material, rsa.RSAPrivateKey) else material
            assert isinstance(public, rsa.RSAPublicKey)
            numbers = public.public_numbers()
            check_rsa_public(numbers.n, numbers.e)
    if not ok:
        raise InvalidKeyError(f"This {type(material).__name__} does not fit {algorithm}.")
