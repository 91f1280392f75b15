"""Revoked and logged-out credentials stay dead (RFC 7009, RFC 9700 §4.14, ASVS 3.3.1)."""

from __future__ import annotations

from typing import Any

import httpx

from server.server_helpers import BROWSER, bearer, csrf_from, login

COOKIE = "gatepass_session"


async def test_access_token_is_refused_after_api_logout(
    attack_client: httpx.AsyncClient, victim_tokens: dict[str, Any]
) -> None:
    access = victim_tokens["access_token"]
    assert (await attack_client.get("/api/me", headers=bearer(access))).status_code == 200
    assert (await attack_client.post("/auth/logout", headers=bearer(access))).status_code == 204
    after = await attack_client.get("/api/me", headers=bearer(access))
    assert after.status_code == 401
    assert after.headers["www-authenticate"].startswith("Bearer")
    again = await attack_client.post("/auth/logout", headers=bearer(access))
    assert again.status_code == 401


async def test_refresh_token_of_a_logged_out_family_is_refused(
    attack_client: httpx.AsyncClient, victim_tokens: dict[str, Any]
) -> None:
    access, refresh = victim_tokens["access_token"], victim_tokens["refresh_token"]
    await attack_client.post("/auth/logout", headers=bearer(access))
    response = await attack_client.post("/auth/refresh", json={"refresh_token": refresh})
    assert response.status_code == 401
    assert "access_token" not in response.json()


async def test_reused_refresh_token_revokes_the_pair_made_from_it(
    attack_client: httpx.AsyncClient, victim_tokens: dict[str, Any]
) -> None:
    # RFC 9700 §4.14.2: a spent refresh token presented again means theft; the whole
    # family, the thief's fresh pair included, is revoked.
    refresh = victim_tokens["refresh_token"]
    fresh = (await attack_client.post("/auth/refresh", json={"refresh_token": refresh})).json()
    reuse = await attack_client.post("/auth/refresh", json={"refresh_token": refresh})
    assert reuse.status_code == 401
    assert reuse.json()["error"] == "token_revoked"
    assert (
        await attack_client.get("/api/me", headers=bearer(fresh["access_token"]))
    ).status_code == 401
    stolen = await attack_client.post(
        "/auth/refresh", json={"refresh_token": fresh["refresh_token"]}
    )
    assert stolen.status_code == 401


async def test_session_cookie_is_dead_after_logout_even_if_replayed(
    new_client: Any, victim: dict[str, Any]
) -> None:
    # OWASP ASVS 3.3.1: logout invalidates the session on the server, not only the cookie.
    browser: httpx.AsyncClient = await new_client()
    await login(browser, victim["email"], victim["password"])
    stolen = browser.cookies[COOKIE]
    page = await browser.get("/dashboard", headers=BROWSER)
    assert page.status_code == 200
    out = await browser.post("/logout", data={"csrf_token": csrf_from(page.text)}, headers=BROWSER)
    assert out.status_code == 303
    replay: httpx.AsyncClient = await new_client()
    replay.cookies.set(COOKIE, stolen, domain="127.0.0.1")
    assert (await replay.get("/dashboard", headers=BROWSER)).status_code == 303
