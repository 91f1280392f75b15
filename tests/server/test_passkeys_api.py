"""Passkeys over HTTP with a software authenticator: register, sign in, replay, remove."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from gatepass.server.app import create_app
from gatepass.server.logging import SecurityLog
from gatepass.server.settings import Settings
from mfa.soft_authenticator import SoftAuthenticator
from server.conftest import BASE_URL
from server.server_helpers import PASSWORD, bearer, fast_hasher, token_pair

ORIGIN = "https://auth.example.com"
EMAIL = "ada@example.com"


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[FastAPI]:
    """The server with its public origin at auth.example.com (the passkeys' RP)."""
    settings = Settings(data_dir=tmp_path / "data", public_url=ORIGIN)
    application = create_app(settings, hasher=fast_hasher(), security=SecurityLog())
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An API client on the app."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http:
        yield http


@pytest.fixture
def device() -> SoftAuthenticator:
    """An authenticator on the right origin."""
    return SoftAuthenticator(ORIGIN, "auth.example.com")


@pytest.fixture
async def access_token(app: FastAPI, client: httpx.AsyncClient) -> str:
    """Ada's access token (her account made in the store: the https origin's cookies
    would not come back over this plain-http client)."""
    state = app.state.gatepass
    await state.backends.users.create(email=EMAIL, password_hash=state.hasher.hash(PASSWORD))
    token: str = (await token_pair(client, EMAIL))["access_token"]
    return token


async def _options(client: httpx.AsyncClient, path: str, token: str | None = None) -> Any:
    headers = bearer(token) if token else {}
    response = await client.post(path, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _register(
    client: httpx.AsyncClient, device: SoftAuthenticator, token: str
) -> httpx.Response:
    started = await _options(client, "/auth/passkeys/register/options", token)
    credential = device.create(json.dumps(started["options"]))
    return await client.post(
        "/auth/passkeys/register",
        json={"ceremony": started["ceremony"], "credential": credential, "name": "Laptop"},
        headers=bearer(token),
    )


async def _login(
    client: httpx.AsyncClient, device: SoftAuthenticator, **lies: Any
) -> httpx.Response:
    started = await _options(client, "/auth/passkeys/login/options")
    credential = device.get(json.dumps(started["options"]), **lies)
    return await client.post(
        "/auth/passkeys/login", json={"ceremony": started["ceremony"], "credential": credential}
    )


async def test_register_then_sign_in_without_a_password(
    client: httpx.AsyncClient, device: SoftAuthenticator, access_token: str
) -> None:
    registered = await _register(client, device, access_token)
    assert registered.status_code == 201
    assert registered.json()["name"] == "Laptop"
    response = await _login(client, device)
    assert response.status_code == 200
    me = await client.get("/api/me", headers=bearer(response.json()["access_token"]))
    assert me.json()["email"] == EMAIL
    listed = (await client.get("/auth/passkeys", headers=bearer(access_token))).json()
    assert [key["sign_count"] for key in listed["passkeys"]] == [1]


async def test_options_name_the_rp_and_ask_for_user_verification(
    client: httpx.AsyncClient, access_token: str
) -> None:
    started = await _options(client, "/auth/passkeys/register/options", access_token)
    options = started["options"]
    assert options["rp"]["id"] == "auth.example.com"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["authenticatorSelection"]["residentKey"] == "required"


async def test_a_ceremony_answered_twice_is_refused(
    client: httpx.AsyncClient, device: SoftAuthenticator, access_token: str
) -> None:
    await _register(client, device, access_token)
    started = await _options(client, "/auth/passkeys/login/options")
    body = {
        "ceremony": started["ceremony"],
        "credential": device.get(json.dumps(started["options"])),
    }
    assert (await client.post("/auth/passkeys/login", json=body)).status_code == 200
    replay = await client.post("/auth/passkeys/login", json=body)
    assert replay.status_code == 401
    assert replay.json()["error"] == "invalid_passkey"


@pytest.mark.parametrize(
    "lie",
    [{"origin": "https://evil.example.net"}, {"rp_id": "evil.example.net"}],
    ids=["wrong-origin", "wrong-rp-id"],
)
async def test_an_assertion_for_another_site_is_refused(
    client: httpx.AsyncClient,
    device: SoftAuthenticator,
    access_token: str,
    lie: dict[str, Any],
) -> None:
    await _register(client, device, access_token)
    response = await _login(client, device, **lie)
    assert response.status_code == 401
    assert set(response.json()) == {"error", "message"}


async def test_a_removed_passkey_no_longer_signs_in(
    client: httpx.AsyncClient, device: SoftAuthenticator, access_token: str
) -> None:
    passkey_id = (await _register(client, device, access_token)).json()["id"]
    removed = await client.delete(f"/auth/passkeys/{passkey_id}", headers=bearer(access_token))
    assert removed.status_code == 204
    again = await client.delete(f"/auth/passkeys/{passkey_id}", headers=bearer(access_token))
    assert again.status_code == 404
    assert (await _login(client, device)).status_code == 401


async def test_registering_needs_a_bearer_token(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/passkeys/register/options")
    assert response.status_code == 401
