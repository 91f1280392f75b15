"""The server signs with the key the operator chose: generated, a PEM file, or a secret."""

from __future__ import annotations

from pathlib import Path

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from gatepass.server.app import create_app
from gatepass.server.settings import Settings
from gatepass.tokens import decode_unverified
from server.server_helpers import bearer, fast_hasher, register, token_pair


async def _token_and_jwks(settings: Settings) -> tuple[str, dict[str, list[dict[str, str]]], int]:
    app = create_app(settings, hasher=fast_hasher())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            await register(http)
            pair = await token_pair(http)
            me = await http.get("/api/me", headers=bearer(pair["access_token"]))
            jwks = (await http.get("/.well-known/jwks.json")).json()
    return pair["access_token"], jwks, me.status_code


async def test_a_pem_key_file_signs_with_the_configured_algorithm(tmp_path: Path) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = tmp_path / "signing.pem"
    pem.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    settings = Settings(data_dir=tmp_path / "data", signing_key_file=pem, jwt_algorithm="PS256")
    token, jwks, status = await _token_and_jwks(settings)
    assert status == 200
    assert decode_unverified(token).header["alg"] == "PS256"
    assert [key["kty"] for key in jwks["keys"]] == ["RSA"]
    assert "d" not in jwks["keys"][0]


async def test_a_jwt_secret_signs_hs256_and_publishes_no_keys(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", jwt_secret=SecretStr("k" * 48))
    token, jwks, status = await _token_and_jwks(settings)
    assert status == 200
    assert decode_unverified(token).header["alg"] == "HS256"
    assert jwks == {"keys": []}
