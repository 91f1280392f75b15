"""Users see and end their API logins, log out everywhere, and change their password.

Issue 22, finding 6: "log out all other sessions" left token pairs from
``POST /auth/token`` working, API logins were not listed, and there was no password
change (OWASP ASVS 5.0 6.2.2, 7.4.3, 7.5.2).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr, ValidationError

from gatepass.server.app import create_app
from gatepass.server.logging import SecurityLog
from gatepass.server.settings import Settings
from server.conftest import BASE_URL
from server.server_helpers import (
    BROWSER,
    PASSWORD,
    bearer,
    csrf_from,
    fast_hasher,
    login,
    post_form,
    register,
    token_pair,
)
from smtp_helpers import smtp_server

NEW_PASSWORD = "a much longer and different passphrase"
_END_FORM = re.compile(r'action="/logins/([^"/]+)/revoke"')


@pytest.fixture
async def api(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A script's client: no cookies, only tokens."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        yield http


async def refreshes(client: httpx.AsyncClient, pair: dict[str, Any]) -> bool:
    response = await client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert response.status_code in (200, 401), response.text
    return response.status_code == 200


async def change_password(
    client: httpx.AsyncClient,
    pair: dict[str, Any],
    password: str = PASSWORD,
    new_password: str = NEW_PASSWORD,
) -> httpx.Response:
    body = {"password": password, "new_password": new_password}
    return await client.post(
        "/auth/password/change", json=body, headers=bearer(pair["access_token"])
    )


async def assert_ended(client: httpx.AsyncClient, *pairs: dict[str, Any]) -> None:
    for pair in pairs:
        assert not await refreshes(client, pair)
        assert await me_status(client, pair) == 401


async def me_status(client: httpx.AsyncClient, pair: dict[str, Any]) -> int:
    return (await client.get("/api/me", headers=bearer(pair["access_token"]))).status_code


async def test_log_out_all_others_on_the_dashboard_ends_token_logins(
    client: httpx.AsyncClient,
) -> None:
    await register(client)
    pair = await token_pair(client)

    dashboard = await client.get("/dashboard", headers=BROWSER)
    assert "API logins" in dashboard.text
    assert "python-httpx" in dashboard.text
    response = await post_form(client, "/dashboard", "/sessions/revoke-others", {})
    assert response.status_code == 303
    page = await client.get("/dashboard", headers=BROWSER)

    assert "Logged out 0 other sessions. Ended 1 API login." in page.text
    assert not await refreshes(client, pair)
    assert await me_status(client, pair) == 401
    assert not _END_FORM.search(page.text)


async def test_one_listed_api_login_ends_from_the_dashboard(client: httpx.AsyncClient) -> None:
    await register(client)
    kept = await token_pair(client)
    ended = await token_pair(client)
    page = await client.get("/dashboard", headers=BROWSER)
    ids = _END_FORM.findall(page.text)
    assert len(ids) == 2
    assert set(ids) == {_sid(kept), _sid(ended)}
    ended_id = _sid(ended)

    response = await client.post(
        f"/logins/{ended_id}/revoke", data={"csrf_token": csrf_from(page.text)}, headers=BROWSER
    )

    assert response.status_code == 303
    assert "That API login has been ended." in (await client.get("/dashboard")).text
    assert not await refreshes(client, ended)
    assert await me_status(client, ended) == 401
    assert await refreshes(client, kept)


async def test_ending_an_api_login_needs_the_csrf_token(client: httpx.AsyncClient) -> None:
    await register(client)
    pair = await token_pair(client)

    response = await client.post(f"/logins/{_sid(pair)}/revoke", headers=BROWSER)

    assert response.status_code == 403
    assert await refreshes(client, pair)


async def test_json_lists_sessions_and_token_logins(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await register(client)
    pair = await token_pair(other_client)

    response = await other_client.get("/api/me/logins", headers=bearer(pair["access_token"]))

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert [session["device"] for session in body["sessions"]] == ["Chrome"]
    [token] = body["tokens"]
    assert token["id"] == _sid(pair)
    assert token["current"] is True
    assert token["device"] == "python-httpx"
    assert token["address"] == "127.0.0.1"
    assert pair["refresh_token"] not in response.text
    assert pair["access_token"] not in response.text


async def test_json_delete_ends_one_login_of_the_caller_only(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    await register(client)
    await register(other_client, email="eve@example.com")
    mine = await token_pair(api)
    ended = await token_pair(api)
    eves = await token_pair(api, email="eve@example.com")
    headers = bearer(mine["access_token"])

    refused = await api.delete(f"/api/me/logins/{_sid(eves)}", headers=headers)
    response = await api.delete(f"/api/me/logins/{_sid(ended)}", headers=headers)

    assert refused.status_code == 404
    assert refused.json()["error"] == "not_found"
    assert response.status_code == 204
    assert not await refreshes(api, ended)
    assert await refreshes(api, eves)
    assert await refreshes(api, mine)


async def test_json_delete_ends_a_browser_session(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await register(client)
    pair = await token_pair(other_client)
    headers = bearer(pair["access_token"])
    [session] = (await other_client.get("/api/me/logins", headers=headers)).json()["sessions"]

    response = await other_client.delete(f"/api/me/logins/{session['id']}", headers=headers)

    assert response.status_code == 204
    assert (await client.get("/dashboard", headers=BROWSER)).status_code == 303


async def test_json_logout_everywhere_ends_every_login(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await register(client)
    first = await token_pair(other_client)
    second = await token_pair(other_client)

    response = await other_client.post(
        "/auth/logout-everywhere", headers=bearer(first["access_token"])
    )

    assert response.status_code == 204
    await assert_ended(other_client, first, second)
    assert (await client.get("/dashboard", headers=BROWSER)).status_code == 303


async def test_password_change_by_token_ends_every_login_and_takes_the_new_password(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await register(client)
    caller = await token_pair(other_client)
    other = await token_pair(other_client)

    response = await change_password(other_client, caller)

    assert response.status_code == 204
    await assert_ended(other_client, caller, other)
    assert (await client.get("/dashboard", headers=BROWSER)).status_code == 303
    old = await other_client.post(
        "/auth/token", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert old.status_code == 401
    await token_pair(other_client, password=NEW_PASSWORD)


async def test_password_change_refuses_a_wrong_current_password(
    client: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    await register(client)
    pair = await token_pair(api)

    response = await change_password(api, pair, "not the password")

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_credentials"
    assert await refreshes(api, pair)


async def test_password_change_refuses_a_weak_new_password(
    client: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    await register(client)
    pair = await token_pair(api)

    response = await change_password(api, pair, PASSWORD, "password")

    assert response.status_code == 422
    assert response.json()["error"] == "weak_password"
    await token_pair(api)


async def test_password_change_guessing_is_throttled_like_login(
    client: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    await register(client)
    pair = await token_pair(api)
    statuses = [(await change_password(api, pair, f"guess {n}")).status_code for n in range(7)]

    assert statuses[0] == 401
    assert statuses[-1] == 429


async def test_password_change_needs_a_login(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/auth/password/change", json={"password": PASSWORD, "new_password": NEW_PASSWORD}
    )

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_password_change_by_session_json_needs_the_csrf_header(
    client: httpx.AsyncClient,
) -> None:
    await register(client)
    body = {"password": PASSWORD, "new_password": NEW_PASSWORD}

    refused = await client.post("/auth/password/change", json=body)
    page = await client.get("/dashboard", headers=BROWSER)
    response = await client.post(
        "/auth/password/change", json=body, headers={"x-csrf-token": csrf_from(page.text)}
    )

    assert refused.status_code == 403
    assert response.status_code == 204
    assert (await client.get("/dashboard", headers=BROWSER)).status_code == 200


async def test_dashboard_password_change_keeps_this_browser_and_ends_the_rest(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await register(client)
    await login(other_client)
    pair = await token_pair(other_client)
    before = client.cookies.get("gatepass_session")

    response = await post_form(
        client,
        "/dashboard",
        "/password/change",
        {"password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    page = await client.get("/dashboard", headers=BROWSER)

    assert response.status_code == 303
    assert "Your password has been changed. Logged out 1 other session. Ended 1 API login." in (
        page.text
    )
    assert client.cookies.get("gatepass_session") not in (None, before)
    assert (await other_client.get("/dashboard", headers=BROWSER)).status_code == 303
    assert not await refreshes(other_client, pair)


async def test_dashboard_password_change_flashes_a_wrong_password(
    client: httpx.AsyncClient,
) -> None:
    await register(client)

    await post_form(
        client,
        "/dashboard",
        "/password/change",
        {"password": "wrong", "new_password": NEW_PASSWORD},
    )
    page = await client.get("/dashboard", headers=BROWSER)

    assert "The current password is not correct." in page.text


async def test_dashboard_password_change_flashes_a_weak_password(
    client: httpx.AsyncClient,
) -> None:
    await register(client)

    await post_form(
        client, "/dashboard", "/password/change", {"password": PASSWORD, "new_password": "short"}
    )
    page = await client.get("/dashboard", headers=BROWSER)

    assert "The new password is too weak" in page.text


@pytest.fixture
async def smtp_app(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    with smtp_server(tmp_path) as server:
        settings = Settings(
            data_dir=tmp_path / "data",
            mail_url=SecretStr(f"smtp://127.0.0.1:{server.port}"),
            mail_from="Example <no-reply@example.com>",
        )
        application: FastAPI = create_app(settings, hasher=fast_hasher(), security=SecurityLog())
        async with application.router.lifespan_context(application):
            transport = httpx.ASGITransport(app=application)
            async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
                yield http, server


async def test_password_change_mails_a_notice_through_smtp(
    smtp_app: tuple[httpx.AsyncClient, Any],
) -> None:
    client, server = smtp_app
    await register(client)
    client.cookies.clear()  # from here on a script, with a token only
    pair = await token_pair(client)

    response = await change_password(client, pair)

    assert response.status_code == 204
    # Waited for off the event loop, which delivers the mail in the background; the
    # registration's verification mail came first.
    received = await asyncio.to_thread(server.inbox.wait_for, 2)
    [notice] = [m for m in received if "password was changed" in m["Subject"]]
    assert notice["To"] == "ada@example.com"
    assert notice["From"] == "Example <no-reply@example.com>"
    assert "password was changed" in notice["Subject"]
    assert NEW_PASSWORD not in notice.as_string()


async def test_without_a_mail_url_the_notice_lands_in_the_outbox_by_shutdown(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    application = create_app(settings, hasher=fast_hasher(), security=SecurityLog())
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            await register(client)
            client.cookies.clear()  # from here on a script, with a token only
            response = await change_password(client, await token_pair(client))
            assert response.status_code == 204

    # The app's shutdown waited for the queued mail (after the verification mail).
    texts = [path.read_text() for path in (settings.data_dir / "outbox").glob("*.eml")]
    [notice] = [text for text in texts if "password was changed" in text]
    assert "To: ada@example.com" in notice


def test_a_mail_url_that_is_not_smtp_is_refused_with_the_forms(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(data_dir=tmp_path, mail_url=SecretStr("http://mail.example.com"))

    assert "smtp+starttls://user:pass@host:port" in str(caught.value)


def test_smtp_credentials_without_tls_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(data_dir=tmp_path, mail_url=SecretStr("smtp://user:secret@127.0.0.1:25"))

    assert "need TLS" in str(caught.value)
    assert "secret" not in str(caught.value)


def _sid(pair: dict[str, Any]) -> str:
    from gatepass.tokens.jws import decode_unverified

    claims = decode_unverified(pair["access_token"]).claims
    return str(claims["sid"])
