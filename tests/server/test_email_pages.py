"""The HTML pages of the mailed flows, driven like a browser against a real SMTP server."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from gatepass.server.settings import Settings
from server.lifecycle_helpers import running
from server.mail_flow_helpers import code_in, link_in, received
from server.server_helpers import BROWSER, csrf_from, login, post_form, register
from smtp_helpers import SMTPServer

NEW_PASSWORD = "a brand new passphrase for ada"
BAD_LINK = "This link is invalid, was used already, or has expired. Ask for a new one."


@pytest.fixture
def settings(mail_settings: Settings) -> Settings:
    return mail_settings


async def _follow(client: httpx.AsyncClient, response: httpx.Response) -> httpx.Response:
    assert response.status_code == 303, response.text
    return await client.get(response.headers["location"], headers=BROWSER)


async def test_login_page_links_to_forgot_password_and_sign_in_by_email(
    client: httpx.AsyncClient,
) -> None:
    page = (await client.get("/login", headers=BROWSER)).text
    assert '<a href="/password/forgot">Forgot password?</a>' in page
    assert 'href="/login/email"' in page


async def test_register_form_mails_a_link_whose_page_confirms_with_a_button(
    app: FastAPI, client: httpx.AsyncClient, smtp: SMTPServer
) -> None:
    await register(client)
    path, token = link_in((await received(app, smtp, 1))[0])
    # A mail scanner's GET spends nothing: the page only offers a button.
    for _ in range(2):
        page = await client.get(path, params={"token": token}, headers=BROWSER)
        assert page.status_code == 200
        assert page.headers["referrer-policy"] == "no-referrer"
    data = {"token": token, "csrf_token": csrf_from(page.text)}
    done = await client.post("/verify-email", data=data, headers=BROWSER)
    dashboard = await _follow(client, done)
    assert "Your email address ada@example.com is confirmed." in dashboard.text
    again = await client.post("/verify-email", data=data, headers=BROWSER)
    assert BAD_LINK in (await _follow(client, again)).text


async def test_forgot_reset_and_log_in_with_the_new_password(
    app: FastAPI, client: httpx.AsyncClient, other_client: httpx.AsyncClient, smtp: SMTPServer
) -> None:
    await register(client)  # logged in here; the reset ends this session
    sent = await post_form(
        other_client, "/password/forgot", "/password/forgot", {"email": "ada@example.com"}
    )
    assert (
        "If the address has an account, a mail is on its way."
        in (await _follow(other_client, sent)).text
    )
    path, token = link_in((await received(app, smtp, 2))[1])
    form = await other_client.get(path, params={"token": token}, headers=BROWSER)
    assert 'autocomplete="new-password"' in form.text
    data = {"token": token, "csrf_token": csrf_from(form.text)}
    weak = await other_client.post(
        "/password/reset", data=data | {"password": "short"}, headers=BROWSER
    )
    assert weak.status_code == 422
    assert "Use at least 8 characters." in weak.text
    done = await other_client.post(
        "/password/reset", data=data | {"password": NEW_PASSWORD}, headers=BROWSER
    )
    assert "Your password was changed." in (await _follow(other_client, done)).text
    assert (await client.get("/dashboard", headers=BROWSER)).status_code == 303
    refused = await login(other_client)
    assert refused.headers["location"] == "/login"
    welcome = await login(other_client, password=NEW_PASSWORD)
    assert welcome.headers["location"] == "/dashboard"
    spent = await post_form(
        other_client,
        f"{path}?token={token}",
        "/password/reset",
        {"token": token, "password": NEW_PASSWORD + "!"},
    )
    assert BAD_LINK in (await _follow(other_client, spent)).text


async def test_a_forged_reset_link_shows_a_clear_flash(client: httpx.AsyncClient) -> None:
    form = await client.get("/password/reset", params={"token": "forged"}, headers=BROWSER)
    data = {"token": "forged", "password": NEW_PASSWORD, "csrf_token": csrf_from(form.text)}
    refused = await client.post("/password/reset", data=data, headers=BROWSER)
    page = await _follow(client, refused)
    assert BAD_LINK in page.text
    assert "<h1>Forgot your password?</h1>" in page.text


async def test_reset_form_without_csrf_token_is_refused(client: httpx.AsyncClient) -> None:
    data = {"token": "t", "password": NEW_PASSWORD}
    refused = await client.post("/password/reset", data=data, headers=BROWSER)
    assert refused.status_code == 403


async def test_sign_in_by_email_with_the_mailed_code(
    app: FastAPI, client: httpx.AsyncClient, other_client: httpx.AsyncClient, smtp: SMTPServer
) -> None:
    await register(client)
    page = await post_form(
        other_client, "/login/email", "/login/email", {"email": "ada@example.com"}
    )
    assert page.status_code == 200
    assert 'autocomplete="one-time-code"' in page.text
    code = code_in((await received(app, smtp, 2))[1])
    data = {"email": "ada@example.com", "csrf_token": csrf_from(page.text)}
    wrong = await other_client.post(
        "/login/email/verify",
        data=data | {"code": "000000" if code != "000000" else "111111"},
        headers=BROWSER,
    )
    assert wrong.status_code == 400
    assert "That code is wrong or has expired." in wrong.text
    done = await other_client.post(
        "/login/email/verify", data=data | {"code": code}, headers=BROWSER
    )
    dashboard = await _follow(other_client, done)
    assert "ada@example.com" in dashboard.text


async def test_sign_in_by_email_link_asks_for_a_press_first(
    app: FastAPI, client: httpx.AsyncClient, other_client: httpx.AsyncClient, smtp: SMTPServer
) -> None:
    await register(client)
    await post_form(other_client, "/login/email", "/login/email", {"email": "ada@example.com"})
    path, token = link_in((await received(app, smtp, 2))[1])
    page = await other_client.get(path, params={"token": token}, headers=BROWSER)
    assert "Press the button to sign in." in page.text
    data = {"token": token, "csrf_token": csrf_from(page.text)}
    done = await other_client.post("/login/email/verify", data=data, headers=BROWSER)
    assert done.headers["location"] == "/dashboard"
    again = await post_form(
        other_client, f"{path}?token={token}", "/login/email/verify", {"token": token}
    )
    assert BAD_LINK in (await _follow(other_client, again)).text


async def test_required_verified_email_refuses_the_login_form_with_a_clear_message(
    tmp_path: Path, smtp: SMTPServer
) -> None:
    settings = Settings(
        data_dir=tmp_path / "strict",
        mail_url=SecretStr(f"smtp://127.0.0.1:{smtp.port}"),
        require_verified_email=True,
    )
    async with running(settings) as (app, client):
        registered = await register(client)
        assert "Check your mail" in (await _follow(client, registered)).text
        refused = await login(client)
        assert "Confirm your email address first" in (await _follow(client, refused)).text
        messages = await received(app, smtp, 2)
        _, token = link_in(messages[1])
        page = await client.get("/verify-email", params={"token": token}, headers=BROWSER)
        data = {"token": token, "csrf_token": csrf_from(page.text)}
        await client.post("/verify-email", data=data, headers=BROWSER)
        assert (await login(client)).headers["location"] == "/dashboard"


async def test_the_dashboard_sends_the_verification_link_again_until_the_address_is_verified(
    app: FastAPI, client: httpx.AsyncClient, smtp: SMTPServer
) -> None:
    await register(client)
    dashboard = (await client.get("/dashboard", headers=BROWSER)).text
    assert "(not verified yet)" in dashboard
    data = {"csrf_token": csrf_from(dashboard)}
    sent = await client.post("/verify-email/resend", data=data, headers=BROWSER)
    assert (
        "A new verification link is on its way to ada@example.com."
        in (await _follow(client, sent)).text
    )
    first, second = await received(app, smtp, 2)
    path, token = link_in(second)
    # The new link works; the first one died when the second was sent.
    page = await client.get(path, params={"token": token}, headers=BROWSER)
    done = await client.post(
        "/verify-email", data={"token": token, "csrf_token": csrf_from(page.text)}, headers=BROWSER
    )
    verified = (await _follow(client, done)).text
    assert "(not verified yet)" not in verified
    assert 'action="/verify-email/resend"' not in verified
    _, old = link_in(first)
    stale = await client.post(
        "/verify-email", data={"token": old, "csrf_token": csrf_from(verified)}, headers=BROWSER
    )
    assert BAD_LINK in (await _follow(client, stale)).text
