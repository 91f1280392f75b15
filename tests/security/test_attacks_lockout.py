"""Login after lockout: refused with 429 even with the right password, for a while.

Brute-force defence (OWASP ASVS 2.2.1, OWASP Authentication Cheat Sheet "Account
Lockout"): once an account has used its attempts, the right password does not help
until the window has passed, and the refusal is the same whether the account exists
(ASVS 2.2 / CWE-204). The window is two seconds here so the test can see it pass: the
counters live in ``limits``' storage, which reads the wall clock itself and takes no
clock to inject, so this one test waits for it.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest

from gatepass.server.settings import Settings
from server.server_helpers import BROWSER, csrf_from

ATTEMPTS = 3
WINDOW_SECONDS = 2
UNKNOWN = "nobody-here@example.com"
_CSRF = re.compile(r'name="csrf_token" value="[^"]+"')


@pytest.fixture
def attack_settings(attack_settings: Settings) -> Settings:
    return attack_settings.model_copy(update={"login_limit": f"{ATTEMPTS}/{WINDOW_SECONDS}second"})


async def token_attempt(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/auth/token", json={"email": email, "password": password})


async def test_api_lockout_refuses_the_right_password_until_the_window_passes(
    attack_client: httpx.AsyncClient, victim: dict[str, Any]
) -> None:
    for _ in range(ATTEMPTS):
        assert (await token_attempt(attack_client, victim["email"], "wrong")).status_code == 401
    locked = await token_attempt(attack_client, victim["email"], victim["password"])
    assert locked.status_code == 429
    assert "access_token" not in locked.json()
    assert int(locked.headers["retry-after"]) >= 1

    await asyncio.sleep(WINDOW_SECONDS + 0.2)
    opened = await token_attempt(attack_client, victim["email"], victim["password"])
    assert opened.status_code == 200


async def test_api_lockout_looks_the_same_for_an_unknown_account(
    attack_client: httpx.AsyncClient, victim: dict[str, Any]
) -> None:
    answers = {}
    for email in (victim["email"], UNKNOWN):
        for _ in range(ATTEMPTS):
            await token_attempt(attack_client, email, "wrong")
        answers[email] = await token_attempt(attack_client, email, victim["password"])
    known, unknown = answers[victim["email"]], answers[UNKNOWN]
    assert known.status_code == unknown.status_code == 429
    assert known.json() == unknown.json()


async def form_attempt(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    page = await client.get("/login", headers=BROWSER)
    data = {"email": email, "password": password, "csrf_token": csrf_from(page.text)}
    return await client.post("/login", data=data, headers=BROWSER)


async def test_form_lockout_refuses_the_right_password_alike_for_any_account(
    new_client: Any, victim: dict[str, Any]
) -> None:
    pages = {}
    for email in (victim["email"], UNKNOWN):
        browser: httpx.AsyncClient = await new_client()
        for _ in range(ATTEMPTS):
            assert (await form_attempt(browser, email, "wrong")).status_code == 303
        locked = await form_attempt(browser, email, victim["password"])
        assert locked.status_code == 429
        assert (await browser.get("/dashboard", headers=BROWSER)).status_code == 303
        pages[email] = _CSRF.sub("csrf", locked.text).replace(email, "EMAIL")
    assert pages[victim["email"]] == pages[UNKNOWN]
