"""A public key never becomes an HMAC secret, however it is wrapped or encoded.

The RS/HS confusion attack (RFC 8725 §2.1, CVE-2015-9235, CVE-2022-29217): an app
that verifies with ``verify(token, public_key_text)`` must not let an attacker sign
HS256 tokens with that public text as the secret.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from gatepass import jwt
from gatepass.errors import ConfigurationError, InvalidKeyError
from gatepass.tokens import Key
from gatepass.tokens._encoding import b64encode

NOW = 1_700_000_000
CLAIMS = {"sub": "admin", "exp": NOW + 3600}


def clock() -> float:
    return NOW


def hs256_forgery(secret: bytes) -> str:
    """What an attacker signs: HS256 with the victim's public key text as the secret."""
    signing_input = b64encode(b'{"alg":"HS256"}') + b"." + b64encode(orjson.dumps(CLAIMS))
    mac = hmac.digest(secret, signing_input, "sha256")
    return (signing_input + b"." + b64encode(mac)).decode()


def _certificate(private: rsa.RSAPrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "issuer.example")])
    start = datetime(2024, 1, 1, tzinfo=UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=30))
        .sign(private, hashes.SHA256())
    )


def _disguised_public_keys(key: Key) -> dict[str, bytes]:
    material: Any = key._material
    public = material.public_key()
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    certificate = _certificate(material)
    return {
        "pem-after-utf8-bom": b"\xef\xbb\xbf" + pem,
        "pem-after-a-comment": b"# issuer signing key\n" + pem,
        "pem-after-pkcs12-bag-attributes": (
            b"Bag Attributes\n    localKeyID: 01 00 00 00\nsubject=/CN=issuer\n" + pem
        ),
        "pem-after-openssl-text-output": (
            b"Certificate:\n    Data:\n        Version: 3 (0x2)\n"
            + certificate.public_bytes(serialization.Encoding.PEM)
        ),
        "der-subject-public-key-info": public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        "der-pkcs1-public-key": public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.PKCS1
        ),
        "der-pkcs8-private-key": material.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        "der-encrypted-private-key": material.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"pass phrase"),
        ),
        "der-certificate": certificate.public_bytes(serialization.Encoding.DER),
        "ssh-key-after-a-comment": b"# deploy key\n"
        + public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH),
    }


@pytest.fixture(scope="module")
def rsa_key() -> Key:
    return Key.generate("RS256")


CASES = [
    "der-certificate",
    "der-encrypted-private-key",
    "der-pkcs1-public-key",
    "der-pkcs8-private-key",
    "der-subject-public-key-info",
    "pem-after-a-comment",
    "pem-after-openssl-text-output",
    "pem-after-pkcs12-bag-attributes",
    "pem-after-utf8-bom",
    "ssh-key-after-a-comment",
]


def test_the_case_list_covers_every_disguise(rsa_key: Key) -> None:
    assert sorted(_disguised_public_keys(rsa_key)) == CASES


@pytest.mark.parametrize("case", CASES)
def test_from_secret_refuses_a_wrapped_or_der_encoded_public_key(rsa_key: Key, case: str) -> None:
    form = _disguised_public_keys(rsa_key)[case]
    with pytest.raises(InvalidKeyError, match="asymmetric key"):
        Key.from_secret(form)
    if not case.startswith("der-"):
        with pytest.raises(InvalidKeyError, match="asymmetric key"):
            Key.from_secret(form.decode("utf-8"))


@pytest.mark.parametrize("case", CASES)
def test_hs256_forgery_with_a_disguised_public_key_is_refused(rsa_key: Key, case: str) -> None:
    form = _disguised_public_keys(rsa_key)[case]
    forged = hs256_forgery(form)
    with pytest.raises(InvalidKeyError, match="asymmetric key"):
        jwt.verify(forged, form, algorithm="HS256", clock=clock)


def test_ec_der_public_key_is_refused_as_a_secret() -> None:
    der = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(InvalidKeyError, match="asymmetric key"):
        Key.from_secret(der)


def test_verify_with_a_bare_secret_needs_an_explicit_algorithm() -> None:
    secret = "a shared secret of at least 32 bytes!"
    token = jwt.sign({"a": 1}, secret, clock=clock)
    with pytest.raises(ConfigurationError, match="algorithm="):
        jwt.verify(token, secret, clock=clock)
    assert jwt.verify(token, secret, algorithm="HS256", clock=clock)["a"] == 1
    # jsonwebtoken's ``{ algorithms: ['HS256'] }`` form names it too.
    assert jwt.verify(token, secret, algorithms=["HS256"], clock=clock)["a"] == 1
    # One text read as a secret and as a public key at once is the confusion itself.
    with pytest.raises(ConfigurationError, match="mixes shared-secret"):
        jwt.verify(token, secret, algorithms=["HS256", "RS256"], clock=clock)


def test_verify_with_pem_text_and_an_asymmetric_algorithm_loads_the_public_key(
    rsa_key: Key,
) -> None:
    material: Any = rsa_key._material
    pem = material.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    token = jwt.sign({"sub": "a"}, rsa_key, clock=clock)
    assert jwt.verify(token, pem.decode(), algorithm="RS256", clock=clock)["sub"] == "a"
    assert jwt.verify(token, pem, algorithms=["RS256"], clock=clock)["sub"] == "a"
    with pytest.raises(InvalidKeyError):
        jwt.verify(hs256_forgery(pem), pem, algorithm="HS256", clock=clock)


def test_text_key_with_an_unknown_algorithm_is_refused_by_name() -> None:
    with pytest.raises(InvalidKeyError, match="'none' is not supported"):
        jwt.verify("a.b.c", "x" * 40, algorithm="none", clock=clock)  # type: ignore[arg-type]


@pytest.mark.parametrize("size", [32, 64])
def test_random_secrets_are_still_accepted(size: int) -> None:
    for _ in range(200):
        Key.from_secret(secrets.token_bytes(size))
