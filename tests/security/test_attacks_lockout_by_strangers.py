"""A stranger cannot lock an owner out; guesses spread over many addresses still stop.

The strict login limit counts per account *and* client address, so wrong passwords
sent for someone's email from one address do not keep the owner, at another address,
from signing in; a looser limit per account across every address stops a guessing
attack spread over many addresses (OWASP ASVS 5.0 6.1.1, CWE-645). No waiting is
needed: every step happens inside one window.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from gatepass.server.settings import Settings
from server.server_helpers import BROWSER, csrf_from

STRICT = 3
ACCOUNT_WIDE = 10
ATTACKER = "203.0.113.66"
OWNER = "198.51.100.7"
BASE_URL = "http://127.0.0.1:8000"

AddressedClient = Callable[[str], Awaitable[httpx.AsyncClient]]


@pytest.fixture
def attack_settings(attack_settings: Settings) -> Settings:
    return attack_settings.model_copy(
        update={"login_limit": f"{STRICT}/minute", "account_limit": f"{ACCOUNT_WIDE}/minute"}
    )


@pytest.fixture
async def client_at(attack_app: FastAPI) -> AsyncIterator[AddressedClient]:
    """Make clients of the server that connect from a given address."""
    clients: list[httpx.AsyncClient] = []

    async def make(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=attack_app, client=(address, 50000))
        client = httpx.AsyncClient(transport=transport, base_url=BASE_URL)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


async def token(client: httpx.AsyncClient, email: str, password: str) -> int:
    response = await client.post("/auth/token", json={"email": email, "password": password})
    return response.status_code


async def form_login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    page = await client.get("/login", headers=BROWSER)
    data = {"email": email, "password": password, "csrf_token": csrf_from(page.text)}
    return await client.post("/login", data=data, headers=BROWSER)


async def test_api_owner_signs_in_while_a_stranger_hammers_their_email(
    client_at: AddressedClient, victim: dict[str, Any]
) -> None:
    attacker = await client_at(ATTACKER)
    answers = [await token(attacker, victim["email"], "wrong") for _ in range(4 * STRICT)]
    assert answers == [401] * STRICT + [429] * 3 * STRICT

    owner = await client_at(OWNER)
    assert await token(owner, victim["email"], victim["password"]) == 200


async def test_form_owner_signs_in_while_a_stranger_hammers_their_email(
    client_at: AddressedClient, victim: dict[str, Any]
) -> None:
    attacker = await client_at(ATTACKER)
    answers = [
        (await form_login(attacker, victim["email"], "wrong")).status_code
        for _ in range(4 * STRICT)
    ]
    assert answers == [303] * STRICT + [429] * 3 * STRICT

    owner = await client_at(OWNER)
    signed_in = await form_login(owner, victim["email"], victim["password"])
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/dashboard"


async def test_guesses_spread_over_many_addresses_meet_the_account_wide_limit(
    client_at: AddressedClient, victim: dict[str, Any]
) -> None:
    for number in range(ACCOUNT_WIDE):
        bot = await client_at(f"192.0.2.{number + 1}")
        assert await token(bot, victim["email"], "wrong") == 401

    fresh = await client_at("192.0.2.200")
    assert await token(fresh, victim["email"], victim["password"]) == 429
    # The limit is the account's, not the address's: other accounts are still tried.
    assert await token(fresh, "someone-else@example.com", "wrong") == 401


async def test_the_account_wide_limit_looks_the_same_for_an_unknown_account(
    client_at: AddressedClient, victim: dict[str, Any]
) -> None:
    refusals = {}
    for email in (victim["email"], "nobody-here@example.com"):
        for number in range(ACCOUNT_WIDE):
            bot = await client_at(f"192.0.2.{number + 1}")
            await token(bot, email, "wrong")
        fresh = await client_at("192.0.2.200")
        refusals[email] = await fresh.post(
            "/auth/token", json={"email": email, "password": victim["password"]}
        )
    known, unknown = refusals.values()
    assert known.status_code == unknown.status_code == 429
    assert known.json() == unknown.json()
