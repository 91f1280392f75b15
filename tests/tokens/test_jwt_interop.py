"""Two-way interoperability with PyJWT and joserfc, for every algorithm."""

from __future__ import annotations

import time
from typing import Any

import jwt as pyjwt
import pytest
from joserfc import jwk as jose_jwk
from joserfc import jwt as jose_jwt

from gatepass import jwt
from gatepass.tokens import ALGORITHMS, Key

ALL_ALGORITHMS = sorted(ALGORITHMS)
# joserfc flags "EdDSA" as deprecated in favour of "Ed25519" (RFC 9864); same signature.
pytestmark = pytest.mark.filterwarnings("ignore:EdDSA is deprecated")


def _claims() -> dict[str, Any]:
    now = int(time.time())
    return {
        "sub": "42",
        "aud": "api",
        "iss": "https://issuer.example",
        "iat": now,
        "exp": now + 600,
    }


def _pyjwt_key(key: Key, *, private: bool) -> Any:
    jwk = key.private_jwk() if private or key.is_symmetric else key.public_jwk()
    return pyjwt.PyJWK(jwk).key


@pytest.mark.parametrize("alg", ALL_ALGORITHMS)
def test_gatepass_tokens_verify_in_pyjwt(keys_by_algorithm: dict[str, Key], alg: str) -> None:
    key = keys_by_algorithm[alg]
    token = jwt.sign({"role": "admin"}, key, audience="api", subject="42")
    claims = pyjwt.decode(
        token, _pyjwt_key(key, private=False), algorithms=[alg], audience="api", subject="42"
    )
    assert claims["role"] == "admin"
    assert pyjwt.get_unverified_header(token)["kid"] == key.kid


@pytest.mark.parametrize("alg", ALL_ALGORITHMS)
def test_pyjwt_tokens_verify_in_gatepass(keys_by_algorithm: dict[str, Key], alg: str) -> None:
    key = keys_by_algorithm[alg]
    claims = _claims()
    token = pyjwt.encode(
        claims, _pyjwt_key(key, private=True), algorithm=alg, headers={"kid": key.kid}
    )
    verifier_key = key if key.is_symmetric else Key.from_jwk(key.public_jwk())
    got = jwt.verify(token, verifier_key, audience="api", issuer="https://issuer.example")
    assert got == claims


@pytest.mark.parametrize("alg", ALL_ALGORITHMS)
def test_gatepass_tokens_verify_in_joserfc(keys_by_algorithm: dict[str, Key], alg: str) -> None:
    key = keys_by_algorithm[alg]
    token = jwt.sign({"role": "admin"}, key, audience="api")
    public = jose_jwk.import_key(key.private_jwk() if key.is_symmetric else key.public_jwk())
    decoded = jose_jwt.decode(token, public, algorithms=[alg])
    jose_jwt.JWTClaimsRegistry(aud={"essential": True, "value": "api"}).validate(decoded.claims)
    assert decoded.claims["role"] == "admin"
    assert decoded.header["kid"] == key.kid


@pytest.mark.parametrize("alg", ALL_ALGORITHMS)
def test_joserfc_tokens_verify_in_gatepass(keys_by_algorithm: dict[str, Key], alg: str) -> None:
    key = keys_by_algorithm[alg]
    claims = _claims()
    private = jose_jwk.import_key(key.private_jwk())
    token = jose_jwt.encode({"alg": alg, "kid": key.kid}, claims, private, algorithms=[alg])
    verifier_key = key if key.is_symmetric else key.public_key()
    got = jwt.verify(token, verifier_key, audience="api", issuer="https://issuer.example")
    assert got == claims


@pytest.mark.parametrize("alg", [a for a in ALL_ALGORITHMS if not a.startswith("HS")])
def test_jwks_from_other_libraries_load(keys_by_algorithm: dict[str, Key], alg: str) -> None:
    key = keys_by_algorithm[alg]
    exported = jose_jwk.import_key(key.private_jwk()).as_dict(private=False)
    exported.pop("alg", None)
    exported.pop("kid", None)
    loaded = Key.from_jwk(exported, algorithm=alg)  # type: ignore[arg-type]
    # Without a kid, the key is named by its thumbprint, as generated keys are.
    assert loaded.kid == key.kid
    assert loaded.verify_signature(b"m", key.sign(b"m"))
