from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, rsa
from joserfc import jwk as jose_jwk

from gatepass.errors import InvalidKeyError
from gatepass.tokens import ALGORITHMS, Key
from gatepass.tokens._jwk import is_roca_modulus

ALL_ALGORITHMS = sorted(ALGORITHMS)
ASYMMETRIC = [alg for alg in ALL_ALGORITHMS if not alg.startswith("HS")]


@pytest.mark.parametrize("alg", ALL_ALGORITHMS)
def test_generated_key_signs_and_verifies_with_its_algorithm(
    keys_by_algorithm: dict[str, Key], alg: str
) -> None:
    key = keys_by_algorithm[alg]
    assert key.algorithm == alg
    assert key.can_sign
    signature = key.sign(b"data")
    assert key.verify_signature(b"data", signature)
    assert not key.verify_signature(b"other", signature)


@pytest.mark.parametrize("alg", ALL_ALGORITHMS)
def test_default_kid_is_the_rfc7638_thumbprint(keys_by_algorithm: dict[str, Key], alg: str) -> None:
    key = keys_by_algorithm[alg]
    independent = jose_jwk.import_key(key.private_jwk()).thumbprint()
    assert key.kid == key.thumbprint() == independent


@pytest.mark.parametrize("alg", ASYMMETRIC)
def test_public_jwk_round_trips_and_holds_no_private_member(
    keys_by_algorithm: dict[str, Key], alg: str
) -> None:
    key = keys_by_algorithm[alg]
    jwk = key.public_jwk()
    assert not {"d", "p", "q", "dp", "dq", "qi", "k"} & jwk.keys()
    assert jwk["alg"] == alg
    assert jwk["kid"] == key.kid
    assert jwk["use"] == "sig"
    public = Key.from_jwk(jwk)
    assert not public.can_sign
    assert public.verify_signature(b"m", key.sign(b"m"))
    with pytest.raises(InvalidKeyError, match="public key"):
        public.sign(b"m")


@pytest.mark.parametrize("alg", ALL_ALGORITHMS)
def test_private_jwk_round_trips(keys_by_algorithm: dict[str, Key], alg: str) -> None:
    key = keys_by_algorithm[alg]
    again = Key.from_jwk(key.private_jwk())
    assert again.kid == key.kid
    assert again.can_sign
    assert key.verify_signature(b"m", again.sign(b"m"))


def test_hmac_key_has_no_public_jwk(hs256: Key) -> None:
    with pytest.raises(InvalidKeyError, match="no public JWK"):
        hs256.public_jwk()


@pytest.mark.parametrize(("alg", "size"), [("HS256", 32), ("HS384", 48), ("HS512", 64)])
def test_hmac_secret_shorter_than_the_hash_is_refused(alg: Any, size: int) -> None:
    Key.from_secret(b"x" * size, algorithm=alg)
    with pytest.raises(InvalidKeyError, match=r"RFC 7518 §3.2"):
        Key.from_secret(b"x" * (size - 1), algorithm=alg)


@pytest.mark.parametrize(
    "secret",
    [
        "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqh...\n-----END PUBLIC KEY-----\n",
        "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC0000000000000000000",
        '{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtV","e":"AQAB"}',
    ],
)
def test_from_secret_refuses_a_public_key_posing_as_a_secret(secret: str) -> None:
    with pytest.raises(InvalidKeyError, match="asymmetric key"):
        Key.from_secret(secret)


def test_from_secret_refuses_an_asymmetric_algorithm() -> None:
    with pytest.raises(InvalidKeyError, match="HMAC keys"):
        Key.from_secret(b"x" * 64, algorithm="RS256")


def test_rsa_key_under_2048_bits_is_refused() -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - the weak key under test
    with pytest.raises(InvalidKeyError, match="at least 2048"):
        Key(small, algorithm="RS256")
    pem = small.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(InvalidKeyError, match="at least 2048"):
        Key.from_pem(pem)


@pytest.mark.parametrize("alg", ASYMMETRIC)
def test_from_pem_loads_private_and_public_keys(
    keys_by_algorithm: dict[str, Key], alg: Any
) -> None:
    key = keys_by_algorithm[alg]
    material: Any = key._material
    private_pem = material.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = material.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    pinned = alg if alg[:2] in ("RS", "PS") else None
    private = Key.from_pem(private_pem, algorithm=pinned)
    public = Key.from_pem(public_pem.decode(), algorithm=pinned)
    assert private.algorithm == public.algorithm == alg
    assert private.kid == public.kid == key.kid
    assert public.verify_signature(b"m", private.sign(b"m"))


def test_from_pem_defaults_rsa_to_rs256_and_refuses_a_misfit(
    keys_by_algorithm: dict[str, Key],
) -> None:
    material: Any = keys_by_algorithm["RS256"]._material
    pem = material.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert Key.from_pem(pem).algorithm == "RS256"
    with pytest.raises(InvalidKeyError, match="does not fit ES256"):
        Key.from_pem(pem, algorithm="ES256")
    with pytest.raises(InvalidKeyError, match="could not be loaded"):
        Key.from_pem(b"-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n")


def test_ec_key_on_the_wrong_curve_for_the_algorithm_is_refused() -> None:
    with pytest.raises(InvalidKeyError, match="does not fit ES256"):
        Key(ec.generate_private_key(ec.SECP384R1()), algorithm="ES256")


def test_unknown_algorithm_is_refused() -> None:
    with pytest.raises(InvalidKeyError, match="not supported"):
        Key.generate("none")  # type: ignore[arg-type]
    with pytest.raises(InvalidKeyError, match="not supported"):
        Key(b"x" * 32, algorithm="HS1")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("jwk", "message"),
    [
        ({"kty": "oct", "k": "AAAA", "alg": "HS256", "use": "enc"}, "use 'enc'"),
        ({"kty": "oct", "k": "AAAA", "alg": "HS256", "key_ops": ["encrypt"]}, "encryption"),
        ({"kty": "oct", "k": "AAAA", "alg": "A256GCM"}, "not a JWS algorithm"),
        ({"kty": "oct", "k": "AAAA"}, "pass algorithm="),
        ({"kty": "RSA", "alg": "HS256", "k": "AAAA"}, "kty 'oct'"),
        ({"kty": "EC", "alg": "ES256", "crv": "P-384", "x": "AA", "y": "AA"}, "curve 'P-256'"),
        ({"kty": "OKP", "alg": "EdDSA", "crv": "Ed448", "x": "AA"}, "Ed25519"),
        ({"kty": "oct", "alg": "HS256", "k": "AA=="}, "strict base64url"),
        ({"kty": "oct", "alg": "HS256"}, "no 'k'"),
        ({"kty": "oct", "alg": "HS256", "k": "A" * 43, "kid": 7}, "'kid' must be a string"),
    ],
)
def test_from_jwk_refuses_unusable_keys(jwk: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidKeyError, match=message):
        Key.from_jwk(jwk)


def test_from_jwk_refuses_an_algorithm_that_contradicts_the_jwk(hs256: Key) -> None:
    with pytest.raises(InvalidKeyError, match="was requested"):
        Key.from_jwk(hs256.private_jwk(), algorithm="HS512")


def test_from_jwk_refuses_an_ec_point_off_the_curve(keys_by_algorithm: dict[str, Key]) -> None:
    jwk = keys_by_algorithm["ES256"].public_jwk()
    jwk["y"] = jwk["x"]
    with pytest.raises(InvalidKeyError, match="not a valid P-256 key"):
        Key.from_jwk(jwk)


def test_from_jwk_infers_ec_and_okp_algorithms(keys_by_algorithm: dict[str, Key]) -> None:
    for alg in ("ES256", "ES384", "ES512", "EdDSA"):
        jwk = keys_by_algorithm[alg].public_jwk()
        del jwk["alg"]
        assert Key.from_jwk(jwk).algorithm == alg


def test_from_jwk_rebuilds_rsa_primes_when_only_d_is_given(
    keys_by_algorithm: dict[str, Key],
) -> None:
    key = keys_by_algorithm["RS256"]
    jwk = {k: v for k, v in key.private_jwk().items() if k not in ("p", "q", "dp", "dq", "qi")}
    assert key.verify_signature(b"m", Key.from_jwk(jwk).sign(b"m"))


def test_rsa_exponent_one_is_refused(keys_by_algorithm: dict[str, Key]) -> None:
    jwk = keys_by_algorithm["RS256"].public_jwk()
    jwk["e"] = "AQ"
    with pytest.raises(InvalidKeyError, match="exponent 1"):
        Key.from_jwk(jwk)


def test_roca_detector_passes_ordinary_moduli(keys_by_algorithm: dict[str, Key]) -> None:
    material: Any = keys_by_algorithm["RS256"]._material
    assert not is_roca_modulus(material.public_key().public_numbers().n)
    # A product of primes each ≡ 65537^k (mod every test prime) carries the mark.
    assert is_roca_modulus(65537**3)


def test_repr_names_algorithm_kid_and_kind_but_no_secret(hs256: Key) -> None:
    assert repr(hs256) == "Key(algorithm='HS256', kid='hs', secret)"


def test_from_pem_refuses_unsupported_curves_and_key_types() -> None:
    k1 = ec.generate_private_key(ec.SECP256K1())
    ed = ed448.Ed448PrivateKey.generate()
    for private, message in ((k1, "curve is not supported"), (ed, "not supported")):
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        with pytest.raises(InvalidKeyError, match=message):
            Key.from_pem(pem)


def test_from_pem_reads_an_encrypted_private_key(keys_by_algorithm: dict[str, Key]) -> None:
    material: Any = keys_by_algorithm["ES256"]._material
    pem = material.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pass phrase"),
    )
    assert Key.from_pem(pem, password=b"pass phrase").kid == keys_by_algorithm["ES256"].kid
    with pytest.raises(InvalidKeyError, match="could not be loaded"):
        Key.from_pem(pem, password=b"wrong")
    with pytest.raises(InvalidKeyError, match="could not be loaded"):
        Key.from_pem(pem)
