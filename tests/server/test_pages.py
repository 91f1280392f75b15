"""The HTML pages: register, log in, dashboard, log out, CSRF, redirects."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from gatepass.server.app import create_app
from gatepass.server.settings import Settings
from server.server_helpers import (
    BROWSER,
    PASSWORD,
    csrf_from,
    fast_hasher,
    login,
    post_form,
    register,
)


async def test_root_sends_a_visitor_to_login_and_a_user_to_the_dashboard(
    client: httpx.AsyncClient,
) -> None:
    anonymous = await client.get("/", headers=BROWSER)
    assert (anonymous.status_code, anonymous.headers["location"]) == (303, "/login")
    await register(client)
    known = await client.get("/", headers=BROWSER)
    assert (known.status_code, known.headers["location"]) == (303, "/dashboard")


async def test_register_logs_in_and_dashboard_shows_the_user(client: httpx.AsyncClient) -> None:
    response = await register(client, "Ada@Example.com")
    assert (response.status_code, response.headers["location"]) == (303, "/dashboard")
    page = await client.get("/dashboard", headers=BROWSER)
    assert page.status_code == 200
    assert "ada@example.com" in page.text
    assert "Welcome! Your account is ready." in page.text
    assert "this device" in page.text


async def test_authenticated_pages_are_never_cached(client: httpx.AsyncClient) -> None:
    await register(client)
    page = await client.get("/dashboard", headers=BROWSER)
    assert page.headers["cache-control"] == "no-store"


async def test_register_shows_policy_errors_next_to_the_field(client: httpx.AsyncClient) -> None:
    response = await post_form(
        client, "/register", "/register", {"email": "ada@example.com", "password": "short"}
    )
    assert response.status_code == 422
    assert 'id="password-error"' in response.text
    assert "Use at least" in response.text
    assert 'value="ada@example.com"' in response.text


async def test_register_refuses_an_existing_email(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await register(client)
    response = await register(other_client, "ADA@example.com")
    assert response.status_code == 422
    assert 'id="email-error"' in response.text


async def test_register_refuses_text_that_is_no_email(client: httpx.AsyncClient) -> None:
    response = await register(client, "not-an-address")
    assert response.status_code == 422
    assert 'id="email-error"' in response.text


async def test_dashboard_sends_a_browser_to_login_with_next(client: httpx.AsyncClient) -> None:
    response = await client.get("/dashboard?tab=sessions", headers=BROWSER)
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == "/login"
    assert parse_qs(location.query) == {"next": ["/dashboard?tab=sessions"]}


async def test_login_goes_to_next_when_it_is_on_this_site(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await register(other_client)
    response = await login(client, path="/login?next=/dashboard%3Ftab%3D1")
    assert (response.status_code, response.headers["location"]) == (303, "/dashboard?tab=1")


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "/%2F%2Fevil.example"],
)
async def test_login_refuses_an_open_redirect_in_next(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, target: str
) -> None:
    await register(other_client)
    form = await client.get("/login", params={"next": target}, headers=BROWSER)
    response = await client.post(
        "/login",
        params={"next": target},
        data={"email": "ada@example.com", "password": PASSWORD, "csrf_token": csrf_from(form.text)},
        headers=BROWSER,
    )
    assert (response.status_code, response.headers["location"]) == (303, "/dashboard")


async def test_wrong_password_goes_back_to_login_with_a_flash(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await register(other_client)
    response = await login(client, password="wrong password here")
    assert (response.status_code, response.headers["location"]) == (303, "/login")
    page = await client.get("/login", headers=BROWSER)
    assert "Incorrect email or password." in page.text
    again = await client.get("/login", headers=BROWSER)
    assert "Incorrect email or password." not in again.text


async def test_unknown_email_gets_the_same_flash_as_a_wrong_password(
    client: httpx.AsyncClient,
) -> None:
    response = await login(client, "nobody@example.com")
    assert response.headers["location"] == "/login"
    page = await client.get("/login", headers=BROWSER)
    assert "Incorrect email or password." in page.text


async def test_login_form_without_csrf_token_is_refused_with_a_page(
    client: httpx.AsyncClient,
) -> None:
    await client.get("/login", headers=BROWSER)
    response = await client.post(
        "/login", data={"email": "ada@example.com", "password": PASSWORD}, headers=BROWSER
    )
    assert response.status_code == 403
    assert "text/html" in response.headers["content-type"]
    assert response.headers["cache-control"] == "no-store"
    assert "did not come from this site" in response.text
    assert "/static/gatepass.css" in response.text  # the site's own page, styled


async def test_api_client_without_csrf_token_gets_json(client: httpx.AsyncClient) -> None:
    await register(client)
    response = await client.post("/logout", headers={"accept": "application/json"})
    assert response.status_code == 403
    assert response.json()["error"] == "csrf_failed"


async def test_logout_ends_the_session(client: httpx.AsyncClient) -> None:
    await register(client)
    page = await client.get("/dashboard", headers=BROWSER)
    response = await client.post(
        "/logout", data={"csrf_token": csrf_from(page.text)}, headers=BROWSER
    )
    assert (response.status_code, response.headers["location"]) == (303, "/login")
    after = await client.get("/dashboard", headers=BROWSER)
    assert after.status_code == 303
    assert "You have been logged out." in (await client.get("/login", headers=BROWSER)).text


async def test_log_out_all_other_sessions(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await register(client)
    await login(other_client)
    page = await client.get("/dashboard", headers=BROWSER)
    assert "Log out this one" in page.text
    response = await client.post(
        "/sessions/revoke-others", data={"csrf_token": csrf_from(page.text)}, headers=BROWSER
    )
    assert response.status_code == 303
    assert (await other_client.get("/dashboard", headers=BROWSER)).status_code == 303
    assert (await client.get("/dashboard", headers=BROWSER)).status_code == 200


async def test_log_out_one_other_session_by_its_handle(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await register(client)
    await login(other_client)
    page = await client.get("/dashboard", headers=BROWSER)
    action = page.text.split('action="/sessions/', 1)[1].split('"', 1)[0]
    response = await client.post(
        f"/sessions/{action}", data={"csrf_token": csrf_from(page.text)}, headers=BROWSER
    )
    assert response.status_code == 303
    assert (await other_client.get("/dashboard", headers=BROWSER)).status_code == 303


async def test_login_is_rate_limited_per_account(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await register(other_client)
    for _ in range(5):
        assert (await login(client, password="wrong password here")).status_code == 303
    refused = await login(client)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert "Too many attempts" in refused.text


async def test_unknown_provider_is_a_clean_404(client: httpx.AsyncClient) -> None:
    for path in ("/auth/github", "/auth/github/callback"):
        response = await client.get(path)
        assert response.status_code == 404
        assert response.json() == {
            "error": "unknown_provider",
            "message": "No sign-in provider has that name.",
        }


async def test_stylesheet_is_served_from_the_package(client: httpx.AsyncClient) -> None:
    response = await client.get("/static/gatepass.css")
    assert response.status_code == 200
    assert "text/css" in response.headers["content-type"]


async def test_pages_carry_strict_security_headers(client: httpx.AsyncClient) -> None:
    page = await client.get("/login", headers=BROWSER)
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "script-src" not in policy  # default-src 'none': no script runs at all
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"


async def test_registration_can_be_closed(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "closed", allow_registration=False)
    app = create_app(settings, hasher=fast_hasher())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            assert (await http.get("/register", headers=BROWSER)).status_code == 404
            login_page = await http.get("/login", headers=BROWSER)
            refused = await http.post(
                "/register",
                data={
                    "email": "eve@example.com",
                    "password": PASSWORD,
                    "csrf_token": csrf_from(login_page.text),
                },
                headers=BROWSER,
            )
    assert refused.status_code == 404
    assert 'href="/register"' not in login_page.text


async def test_registration_is_rate_limited_per_address(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "limited", register_limit="2/hour")
    app = create_app(settings, hasher=fast_hasher())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            statuses = []
            for number in range(3):
                http.cookies.clear()
                statuses.append((await register(http, f"user{number}@example.com")).status_code)
            refused = await register(http, "late@example.com")
    assert statuses == [303, 303, 429]
    assert refused.status_code == 429
    assert "Too many new accounts" in refused.text
    assert int(refused.headers["retry-after"]) > 0
