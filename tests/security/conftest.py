"""Fixtures for the attack tests: the reference server with a known ES256 key, in process.

The server signs with an ES256 key from ``GATEPASS_SIGNING_KEY_FILE`` (its default
algorithm), so the tests hold the private key too and can forge anything a real
attacker cannot, then check that every mangled form of it is refused.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI

from gatepass.passwords import PasswordHasher
from gatepass.server.app import create_app
from gatepass.server.logging import SecurityLog
from gatepass.server.settings import Settings
from gatepass.server.state import ServerState
from gatepass.tokens import Key
from server.server_helpers import PASSWORD, fast_hasher

ATTACK_BASE_URL = "http://127.0.0.1:8000"
VICTIM_EMAIL = "victim@example.com"


@dataclass(frozen=True, slots=True)
class ServerKey:
    """The server's signing key as the tests hold it: the Key and its PEM forms."""

    key: Key
    private_pem: bytes
    public_pem: bytes
    path: Path


@pytest.fixture
def server_key(tmp_path: Path) -> ServerKey:
    """A fresh ES256 private key written where ``GATEPASS_SIGNING_KEY_FILE`` points."""
    private = ec.generate_private_key(ec.SECP256R1())
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    path = tmp_path / "signing-key.pem"
    path.write_bytes(private_pem)
    # Loaded the way the server loads it, so the kid (RFC 7638 thumbprint) is the same.
    return ServerKey(Key.from_pem(private_pem, algorithm="ES256"), private_pem, public_pem, path)


@pytest.fixture
def attack_settings(tmp_path: Path, server_key: ServerKey) -> Settings:
    """The server's defaults on a fresh data folder, signing with :func:`server_key`."""
    return Settings(
        data_dir=tmp_path / "data",
        signing_key_file=server_key.path,
        login_limit="5/minute",
        address_limit="1000/minute",
    )


@pytest.fixture
def attack_hasher() -> PasswordHasher:
    """The smallest argon2id costs: the cost is not what most attack tests test."""
    return fast_hasher()


@pytest.fixture
async def attack_app(
    attack_settings: Settings, attack_hasher: PasswordHasher
) -> AsyncIterator[FastAPI]:
    """The reference server with its lifespan running."""
    application = create_app(attack_settings, hasher=attack_hasher, security=SecurityLog())
    async with application.router.lifespan_context(application):
        yield application


ClientFactory = Callable[[], Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def new_client(attack_app: FastAPI) -> AsyncIterator[ClientFactory]:
    """Make browser-like clients (each with its own cookie jar) on the server."""
    clients: list[httpx.AsyncClient] = []

    async def make() -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=attack_app)
        client = httpx.AsyncClient(transport=transport, base_url=ATTACK_BASE_URL)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
async def attack_client(new_client: ClientFactory) -> httpx.AsyncClient:
    """One client of the server."""
    return await new_client()


@pytest.fixture
def attack_state(attack_app: FastAPI) -> ServerState:
    """The server's wiring (stores, hasher, token service), for setting up accounts."""
    state: ServerState = attack_app.state.gatepass
    return state


@pytest.fixture
async def victim(attack_state: ServerState) -> dict[str, Any]:
    """An account made straight in the user store: ``{"id", "email", "password"}``."""
    state = attack_state
    password_hash = await state.hasher.hash_async(PASSWORD)
    user = await state.backends.users.create(email=VICTIM_EMAIL, password_hash=password_hash)
    return {"id": user.id, "email": VICTIM_EMAIL, "password": PASSWORD}


@pytest.fixture
async def victim_tokens(attack_client: httpx.AsyncClient, victim: dict[str, Any]) -> dict[str, Any]:
    """A genuine token pair of the victim from ``POST /auth/token``."""
    response = await attack_client.post(
        "/auth/token", json={"email": victim["email"], "password": victim["password"]}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
