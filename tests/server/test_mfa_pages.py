"""The HTML second factor: set-up from the dashboard, the code step after the password."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from gatepass.mfa import code_at
from server.mfa_helpers import Clock, client_of, mfa_app, secret_from, wrong
from server.server_helpers import BROWSER, PASSWORD, csrf_from, login, register

COOKIE = "gatepass_session"


@pytest.fixture
def clock() -> Clock:
    """The clock of the app's TOTP steps and pending sign-ins."""
    return Clock()


@pytest.fixture
async def app(tmp_path: Path, clock: Clock) -> AsyncIterator[FastAPI]:
    """The server with MFA on ``clock``."""
    async with mfa_app(tmp_path, clock, mfa_limit="20/minute") as application:
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client (keeps cookies)."""
    async with client_of(app) as http:
        yield http


async def _post(client: httpx.AsyncClient, page: str, action: str, **fields: str) -> httpx.Response:
    form = await client.get(page, headers=BROWSER)
    data = {**fields, "csrf_token": csrf_from(form.text)}
    return await client.post(action, data=data, headers=BROWSER)


async def _enrol(client: httpx.AsyncClient, clock: Clock) -> tuple[str, httpx.Response]:
    """Register, set up TOTP from the dashboard; the recovery-code page and the secret."""
    await register(client)
    started = await _post(client, "/dashboard", "/dashboard/mfa/setup")
    assert (started.status_code, started.headers["location"]) == (303, "/dashboard/mfa/setup")
    page = await client.get("/dashboard/mfa/setup", headers=BROWSER)
    secret = secret_from(page.text)
    done = await _post(
        client, "/dashboard/mfa/setup", "/dashboard/mfa/confirm", code=code_at(secret, clock.now)
    )
    clock.now += 30
    return secret, done


async def _log_out(client: httpx.AsyncClient) -> None:
    await _post(client, "/dashboard", "/logout")


async def test_setup_page_shows_an_inline_svg_qr_code_under_the_strict_csp(
    client: httpx.AsyncClient,
) -> None:
    await register(client)
    await _post(client, "/dashboard", "/dashboard/mfa/setup")
    page = await client.get("/dashboard/mfa/setup", headers=BROWSER)
    assert page.status_code == 200
    assert "<svg" in page.text
    assert "<script" not in page.text
    assert "script-src" not in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    assert len(secret_from(page.text)) == 32


async def test_confirm_shows_ten_recovery_codes_once_and_the_dashboard_says_on(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    _, done = await _enrol(client, clock)
    assert done.status_code == 200
    assert done.text.count("<li><code>") == 10
    dashboard = await client.get("/dashboard", headers=BROWSER)
    assert "Sign-in asks for a code" in dashboard.text
    assert "10 recovery codes left" in dashboard.text
    # The set-up page has nothing to show any more.
    again = await client.get("/dashboard/mfa/setup", headers=BROWSER)
    assert (again.status_code, again.headers["location"]) == (303, "/dashboard")


async def test_a_wrong_first_code_keeps_the_setup_and_says_so(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    await register(client)
    await _post(client, "/dashboard", "/dashboard/mfa/setup")
    secret = secret_from((await client.get("/dashboard/mfa/setup", headers=BROWSER)).text)
    response = await _post(
        client,
        "/dashboard/mfa/setup",
        "/dashboard/mfa/confirm",
        code=wrong(code_at(secret, clock.now)),
    )
    assert response.headers["location"] == "/dashboard/mfa/setup"
    page = await client.get("/dashboard/mfa/setup", headers=BROWSER)
    assert "That code is not right" in page.text
    assert secret_from(page.text) == secret


async def test_password_then_code_logs_in_with_a_new_session_id(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    secret, _ = await _enrol(client, clock)
    await _log_out(client)
    response = await login(client)
    assert (response.status_code, response.headers["location"]) == (303, "/login/mfa")
    # Only the pending marker: the dashboard is still closed.
    assert (await client.get("/dashboard", headers=BROWSER)).status_code == 303
    pending_cookie = client.cookies[COOKIE]
    done = await _post(client, "/login/mfa", "/login/mfa", code=code_at(secret, clock.now))
    assert (done.status_code, done.headers["location"]) == (303, "/dashboard")
    assert client.cookies[COOKIE] != pending_cookie
    assert (await client.get("/dashboard", headers=BROWSER)).status_code == 200


async def test_the_code_step_keeps_the_next_page(client: httpx.AsyncClient, clock: Clock) -> None:
    secret, _ = await _enrol(client, clock)
    await _log_out(client)
    response = await login(client, path="/login?next=/dashboard%3Ftab%3Dsessions")
    assert response.headers["location"] == "/login/mfa"
    done = await _post(client, "/login/mfa", "/login/mfa", code=code_at(secret, clock.now))
    assert done.headers["location"] == "/dashboard?tab=sessions"


async def test_a_wrong_code_flashes_and_a_replayed_code_is_refused(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    secret, _ = await _enrol(client, clock)
    await _log_out(client)
    await login(client)
    bad = await _post(client, "/login/mfa", "/login/mfa", code=wrong(code_at(secret, clock.now)))
    assert bad.headers["location"] == "/login/mfa"
    assert "not right" in (await client.get("/login/mfa", headers=BROWSER)).text
    code = code_at(secret, clock.now)
    assert (await _post(client, "/login/mfa", "/login/mfa", code=code)).headers[
        "location"
    ] == "/dashboard"
    await _log_out(client)
    await login(client)
    replay = await _post(client, "/login/mfa", "/login/mfa", code=code)
    assert replay.headers["location"] == "/login/mfa"
    assert (await client.get("/dashboard", headers=BROWSER)).status_code == 303


async def test_five_wrong_codes_end_the_pending_sign_in(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    secret, _ = await _enrol(client, clock)
    await _log_out(client)
    await login(client)
    bad = wrong(code_at(secret, clock.now))
    for _ in range(4):
        response = await _post(client, "/login/mfa", "/login/mfa", code=bad)
        assert response.headers["location"] == "/login/mfa"
    last = await _post(client, "/login/mfa", "/login/mfa", code=bad)
    assert last.headers["location"] == "/login"
    assert "Too many wrong codes" in (await client.get("/login", headers=BROWSER)).text
    gone = await client.get("/login/mfa", headers=BROWSER)
    assert gone.headers["location"] == "/login"


async def test_the_pending_sign_in_expires(client: httpx.AsyncClient, clock: Clock) -> None:
    secret, _ = await _enrol(client, clock)
    await _log_out(client)
    await login(client)
    page = await client.get("/login/mfa", headers=BROWSER)
    clock.now += 5 * 60
    response = await client.post(
        "/login/mfa",
        data={"code": code_at(secret, clock.now), "csrf_token": csrf_from(page.text)},
        headers=BROWSER,
    )
    assert response.headers["location"] == "/login"
    assert (await client.get("/dashboard", headers=BROWSER)).status_code == 303


async def test_the_code_page_without_a_password_step_goes_to_login(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/login/mfa", headers=BROWSER)
    assert (response.status_code, response.headers["location"]) == (303, "/login")


async def test_the_code_form_needs_its_csrf_token(client: httpx.AsyncClient, clock: Clock) -> None:
    secret, _ = await _enrol(client, clock)
    await _log_out(client)
    await login(client)
    response = await client.post(
        "/login/mfa", data={"code": code_at(secret, clock.now)}, headers=BROWSER
    )
    assert response.status_code == 403


async def test_a_recovery_code_signs_in_once_and_says_how_many_are_left(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    _, done = await _enrol(client, clock)
    code = done.text.split("<li><code>", 1)[1].split("<", 1)[0]
    await _log_out(client)
    await login(client)
    response = await _post(client, "/login/mfa", "/login/mfa", code=code)
    assert response.headers["location"] == "/dashboard"
    assert "9 left" in (await client.get("/dashboard", headers=BROWSER)).text
    await _log_out(client)
    await login(client)
    again = await _post(client, "/login/mfa", "/login/mfa", code=code)
    assert again.headers["location"] == "/login/mfa"


async def test_disable_from_the_dashboard_needs_a_code(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    secret, _ = await _enrol(client, clock)
    refused = await _post(
        client, "/dashboard", "/dashboard/mfa/disable", code=wrong(code_at(secret, clock.now))
    )
    assert refused.headers["location"] == "/dashboard"
    assert "still on" in (await client.get("/dashboard", headers=BROWSER)).text
    await _post(client, "/dashboard", "/dashboard/mfa/disable", code=code_at(secret, clock.now))
    await _log_out(client)
    response = await login(client)
    assert response.headers["location"] == "/dashboard"


async def test_the_mfa_files_in_the_data_folder_are_owner_only(
    client: httpx.AsyncClient, clock: Clock, tmp_path: Path
) -> None:
    await _enrol(client, clock)
    await _log_out(client)
    await login(client)  # a pending sign-in: the mfa_token store is used
    await client.post("/auth/token", json={"email": "ada@example.com", "password": PASSWORD})
    data = tmp_path / "data"
    for name in ("mfa-keys", "mfa-hmac-secret", "mfa.db"):
        assert (data / name).stat().st_mode & 0o777 == 0o600, name
