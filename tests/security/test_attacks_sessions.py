"""Browser-side attacks on the login flow: session fixation, CSRF, open redirects.

Each is played against the reference server's HTML routes, as a browser would send
them, with a second cookie jar for the attacker where the attack needs one.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from server.server_helpers import BROWSER, csrf_from, login

COOKIE = "gatepass_session"


async def logged_in(client: httpx.AsyncClient) -> bool:
    """Whether the client's session is logged in (the dashboard answers 200)."""
    response = await client.get("/dashboard", headers=BROWSER)
    return response.status_code == 200


async def test_session_id_planted_before_login_is_not_kept_after_login(
    new_client: Any, victim: dict[str, Any]
) -> None:
    # Session fixation (OWASP ASVS 3.2.1, CWE-384): the attacker gets a valid,
    # signed session id from the site, plants it in the victim's browser, and waits.
    attacker: httpx.AsyncClient = await new_client()
    await attacker.get("/login", headers=BROWSER)
    planted = attacker.cookies[COOKIE]
    browser: httpx.AsyncClient = await new_client()
    browser.cookies.set(COOKIE, planted, domain="127.0.0.1")

    response = await login(browser, victim["email"], victim["password"])
    assert response.status_code == 303
    assert browser.cookies[COOKIE] != planted
    assert await logged_in(browser)
    # The attacker's copy of the id does not ride along into the victim's login.
    assert not await logged_in(attacker)


async def test_forged_unsigned_session_id_is_never_adopted(
    new_client: Any, victim: dict[str, Any]
) -> None:
    # A made-up id (no valid signature) must not become the session id at login.
    browser: httpx.AsyncClient = await new_client()
    browser.cookies.set(COOKIE, "attacker-chosen-id.c2lnbmF0dXJl", domain="127.0.0.1")
    response = await login(browser, victim["email"], victim["password"])
    assert response.status_code == 303
    assert "attacker-chosen-id" not in browser.cookies[COOKIE]
    attacker: httpx.AsyncClient = await new_client()
    attacker.cookies.set(COOKIE, "attacker-chosen-id.c2lnbmF0dXJl", domain="127.0.0.1")
    assert not await logged_in(attacker)


async def test_login_post_without_csrf_token_is_refused_and_logs_nobody_in(
    attack_client: httpx.AsyncClient, victim: dict[str, Any]
) -> None:
    # Login CSRF (OWASP CSRF Prevention Cheat Sheet, "Login CSRF"; ASVS 4.2.2): a
    # cross-site form logging the victim into the attacker's account.
    await attack_client.get("/login", headers=BROWSER)
    data = {"email": victim["email"], "password": victim["password"]}
    response = await attack_client.post("/login", data=data, headers=BROWSER)
    assert response.status_code == 403
    assert not await logged_in(attack_client)


async def test_login_post_with_another_sessions_csrf_token_is_refused(
    new_client: Any, victim: dict[str, Any]
) -> None:
    attacker: httpx.AsyncClient = await new_client()
    token = csrf_from((await attacker.get("/login", headers=BROWSER)).text)
    browser: httpx.AsyncClient = await new_client()
    await browser.get("/login", headers=BROWSER)
    data = {"email": victim["email"], "password": victim["password"], "csrf_token": token}
    response = await browser.post("/login", data=data, headers=BROWSER)
    assert response.status_code == 403
    assert not await logged_in(browser)


async def test_login_post_with_no_cookie_at_all_is_refused(
    attack_client: httpx.AsyncClient, victim: dict[str, Any]
) -> None:
    data = {"email": victim["email"], "password": victim["password"], "csrf_token": "x" * 43}
    response = await attack_client.post("/login", data=data, headers=BROWSER)
    assert response.status_code == 403
    assert COOKIE not in response.cookies or not await logged_in(attack_client)


async def test_logout_post_without_csrf_token_is_refused_and_keeps_the_session(
    attack_client: httpx.AsyncClient, victim: dict[str, Any]
) -> None:
    # Logout CSRF (OWASP ASVS 4.2.2): a cross-site post must not end the session.
    await login(attack_client, victim["email"], victim["password"])
    assert await logged_in(attack_client)
    cookie = attack_client.cookies[COOKIE]
    response = await attack_client.post("/logout", headers=BROWSER)
    assert response.status_code == 403
    forged = await attack_client.post("/logout", data={"csrf_token": "forged"}, headers=BROWSER)
    assert forged.status_code == 403
    assert attack_client.cookies[COOKIE] == cookie
    assert await logged_in(attack_client)


OPEN_REDIRECTS = [
    "//evil.example",
    "//evil.example/path",
    "https://evil.example",
    "http://evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "%2F%2Fevil.example",
    "/%2F/evil.example",
    "/%252F%252Fevil.example",
    "/%5Cevil.example",
    "https:%2F%2Fevil.example",
    "//evil.example%2F%2E%2E",
    "/\t/evil.example",
    "/\n/evil.example",
    " //evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "https://127.0.0.1:8000@evil.example",
    "//127.0.0.1:8000@evil.example",
    "///evil.example",
    "/" + "a" * 5000,
]


def is_local(location: str) -> bool:
    """A Location that keeps the browser on this site (WHATWG URL parsing rules)."""
    normalised = location.replace("\\", "/").strip()
    parts = urlsplit(normalised)
    same_host = parts.netloc in {"", "127.0.0.1:8000"}
    return same_host and parts.scheme in {"", "http"} and not normalised.startswith("//")


@pytest.mark.parametrize("target", OPEN_REDIRECTS)
async def test_next_after_login_never_leaves_the_site(
    attack_client: httpx.AsyncClient, victim: dict[str, Any], target: str
) -> None:
    # Open redirect (OWASP ASVS 5.1.5, CWE-601): ``next`` is only followed to a path.
    page = await attack_client.get("/login", params={"next": target}, headers=BROWSER)
    assert page.status_code == 200
    data = {
        "email": victim["email"],
        "password": victim["password"],
        "csrf_token": csrf_from(page.text),
    }
    response = await attack_client.post(
        "/login", params={"next": target}, data=data, headers=BROWSER
    )
    assert response.status_code == 303
    location = response.headers["location"]
    assert is_local(location), location
    assert "evil" not in location
    assert "javascript" not in location.lower()


@pytest.mark.parametrize("target", OPEN_REDIRECTS)
async def test_next_of_an_already_logged_in_visitor_never_leaves_the_site(
    attack_client: httpx.AsyncClient, victim: dict[str, Any], target: str
) -> None:
    await login(attack_client, victim["email"], victim["password"])
    response = await attack_client.get("/login", params={"next": target}, headers=BROWSER)
    assert response.status_code == 303
    location = response.headers["location"]
    assert is_local(location), location
    assert "evil" not in location


async def test_failed_login_keeps_next_only_when_it_is_safe(
    attack_client: httpx.AsyncClient, victim: dict[str, Any]
) -> None:
    page = await attack_client.get("/login", headers=BROWSER)
    data = {"email": victim["email"], "password": "wrong", "csrf_token": csrf_from(page.text)}
    response = await attack_client.post(
        "/login", params={"next": "//evil.example"}, data=data, headers=BROWSER
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/login"


async def test_a_safe_next_is_still_followed(
    attack_client: httpx.AsyncClient, victim: dict[str, Any]
) -> None:
    # The control: the validator must not refuse everything.
    page = await attack_client.get("/login", headers=BROWSER)
    data = {
        "email": victim["email"],
        "password": victim["password"],
        "csrf_token": csrf_from(page.text),
    }
    response = await attack_client.post(
        "/login", params={"next": "/dashboard?tab=sessions"}, data=data, headers=BROWSER
    )
    assert response.headers["location"] == "/dashboard?tab=sessions"
