"""The mailed account flows through the JSON API, against a real SMTP server."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from gatepass.mail import MailSender
from gatepass.server.settings import Settings
from server.lifecycle_helpers import redis_prefix_scope, running
from server.mail_flow_helpers import (
    after_this_second,
    code_in,
    link_in,
    received,
    server_state,
    text_of,
)
from server.server_helpers import PASSWORD, bearer, free_port, token_pair
from smtp_helpers import PASSWORD as SMTP_PASSWORD
from smtp_helpers import USERNAME, SMTPServer, smtp_server

NEW_PASSWORD = "a brand new passphrase for ada"


@pytest.fixture
def settings(mail_settings: Settings) -> Settings:
    return mail_settings.model_copy(
        update={
            "mail_from": "Example <no-reply@example.com>",
            "public_url": "https://auth.example.com",
        }
    )


async def _register(client: httpx.AsyncClient, email: str = "ada@example.com") -> httpx.Response:
    return await client.post("/auth/register", json={"email": email, "password": PASSWORD})


async def test_register_mails_a_link_that_verifies_the_address(
    app: FastAPI, client: httpx.AsyncClient, smtp: SMTPServer
) -> None:
    response = await _register(client)
    assert response.status_code == 201
    body = response.json()
    assert (body["email"], body["email_verified"]) == ("ada@example.com", False)
    [message] = await received(app, smtp, 1)
    assert message["To"] == "ada@example.com"
    assert message["From"] == "Example <no-reply@example.com>"
    assert message["Message-ID"]
    path, token = link_in(message)
    assert path == "/verify-email"
    html = message.get_body(("html",))
    assert html is not None
    assert token in html.get_content()
    assert not any(token in value for value in message.values())  # never in a header
    pair = await token_pair(client)
    me = await client.get("/api/me", headers=bearer(pair["access_token"]))
    assert me.json()["email_verified"] is False

    assert (await client.post("/auth/email/verify", json={"token": token})).status_code == 204
    me = await client.get("/api/me", headers=bearer(pair["access_token"]))
    assert me.json()["email_verified"] is True


async def test_register_refuses_a_weak_password_and_a_taken_address_without_mail(
    app: FastAPI, client: httpx.AsyncClient, smtp: SMTPServer
) -> None:
    weak = await client.post("/auth/register", json={"email": "b@example.com", "password": "abc"})
    assert weak.status_code == 422
    assert weak.json()["error"] == "weak_password"
    assert (await _register(client)).status_code == 201
    taken = await _register(client, "ADA@example.com")
    assert taken.status_code == 409
    assert taken.json()["error"] == "user_exists"
    assert len(await received(app, smtp, 1)) == 1


async def test_resend_mails_a_new_link_until_the_address_is_verified(
    app: FastAPI, client: httpx.AsyncClient, smtp: SMTPServer
) -> None:
    await _register(client)
    headers = bearer((await token_pair(client))["access_token"])
    resent = await client.post("/auth/email/verify/resend", headers=headers)
    assert resent.status_code == 202
    first, second = await received(app, smtp, 2)
    # The new link replaces the old one.
    old = await client.post("/auth/email/verify", json={"token": link_in(first)[1]})
    assert old.status_code == 400
    assert (
        await client.post("/auth/email/verify", json={"token": link_in(second)[1]})
    ).status_code == 204
    assert (await client.post("/auth/email/verify/resend", headers=headers)).status_code == 202
    await received(app, smtp, 2)
    assert len(smtp.inbox.messages) == 2
    assert (await client.post("/auth/email/verify/resend")).status_code == 401


async def test_forgot_reset_then_the_new_password_works_and_old_tokens_are_refused(
    app: FastAPI, client: httpx.AsyncClient, smtp: SMTPServer
) -> None:
    await _register(client)
    old = await token_pair(client)
    forgot = await client.post("/auth/password/forgot", json={"email": "Ada@Example.com"})
    assert forgot.status_code == 202
    _, message = await received(app, smtp, 2)
    assert message["Subject"] == "Reset your gatepass password"
    path, token = link_in(message)
    assert path == "/password/reset"

    reset = await client.post(
        "/auth/password/reset", json={"token": token, "password": NEW_PASSWORD}
    )
    assert reset.status_code == 204
    notice = (await received(app, smtp, 3))[2]
    assert notice["Subject"] == "Your gatepass password was changed"
    assert "http" not in str(notice.get_body(("plain",)))

    refreshed = await client.post("/auth/refresh", json={"refresh_token": old["refresh_token"]})
    assert refreshed.status_code == 401
    assert (await client.get("/api/me", headers=bearer(old["access_token"]))).status_code == 401
    wrong = await client.post(
        "/auth/token", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert wrong.status_code == 401
    await after_this_second()
    new = await token_pair(client, password=NEW_PASSWORD)
    me = await client.get("/api/me", headers=bearer(new["access_token"]))
    # The link reached the mailbox: the address is proved too.
    assert me.json()["email_verified"] is True


async def test_a_weak_new_password_leaves_the_reset_link_unspent(
    app: FastAPI, client: httpx.AsyncClient, smtp: SMTPServer
) -> None:
    await _register(client)
    await client.post("/auth/password/forgot", json={"email": "ada@example.com"})
    _, token = link_in((await received(app, smtp, 2))[1])
    weak = await client.post("/auth/password/reset", json={"token": token, "password": "123"})
    assert weak.status_code == 422
    assert weak.json()["error"] == "weak_password"
    ok = await client.post("/auth/password/reset", json={"token": token, "password": NEW_PASSWORD})
    assert ok.status_code == 204


async def test_sign_in_by_mailed_code_gives_a_token_pair_once(
    app: FastAPI, client: httpx.AsyncClient, smtp: SMTPServer
) -> None:
    await _register(client)
    started = await client.post("/auth/login/email", json={"email": "ada@example.com"})
    assert started.status_code == 202
    message = (await received(app, smtp, 2))[1]
    code = code_in(message)
    body = {"email": "ada@example.com", "code": code}
    pair = await client.post("/auth/login/email/verify", json=body)
    assert pair.status_code == 200
    assert pair.json()["token_type"] == "Bearer"
    me = await client.get("/api/me", headers=bearer(pair.json()["access_token"]))
    assert me.json()["email_verified"] is True
    again = await client.post("/auth/login/email/verify", json=body)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_token"
    # The link of the same mail died with the code.
    link = await client.post("/auth/login/email/verify", json={"token": link_in(message)[1]})
    assert link.status_code == 400


async def test_sign_in_by_mailed_link_gives_a_token_pair(
    app: FastAPI, client: httpx.AsyncClient, smtp: SMTPServer
) -> None:
    await _register(client)
    await client.post("/auth/login/email", json={"email": "ada@example.com"})
    path, token = link_in((await received(app, smtp, 2))[1])
    assert path == "/login/email"
    pair = await client.post("/auth/login/email/verify", json={"token": token})
    assert pair.status_code == 200
    assert set(pair.json()) >= {"access_token", "refresh_token", "expires_in"}


async def test_sign_in_verify_needs_a_token_or_an_address_and_code(
    client: httpx.AsyncClient,
) -> None:
    for body in ({}, {"email": "ada@example.com"}, {"token": "x", "email": "a@b.c", "code": "1"}):
        response = await client.post("/auth/login/email/verify", json=body)
        assert response.status_code == 422
        assert response.json()["error"] == "invalid_request"


async def test_email_change_mails_both_addresses_and_moves_the_account_when_confirmed(
    app: FastAPI, client: httpx.AsyncClient, smtp: SMTPServer
) -> None:
    await _register(client)
    await _register(client, "taken@example.com")
    headers = bearer((await token_pair(client))["access_token"])
    wrong = await client.post(
        "/auth/email/change",
        json={"new_email": "ada@new.example", "password": "not the password"},
        headers=headers,
    )
    assert wrong.status_code == 401
    taken = await client.post(
        "/auth/email/change",
        json={"new_email": "taken@example.com", "password": PASSWORD},
        headers=headers,
    )
    assert taken.status_code == 409
    asked = await client.post(
        "/auth/email/change",
        json={"new_email": "ada@new.example", "password": PASSWORD},
        headers=headers,
    )
    assert asked.status_code == 202
    messages = await received(app, smtp, 4)
    to_new = next(m for m in messages if m["To"] == "ada@new.example")
    to_old = next(m for m in messages[2:] if m["To"] == "ada@example.com")
    assert "ada@new.example" in text_of(to_old)
    assert "http" not in text_of(to_old)
    me = await client.get("/api/me", headers=headers)
    assert me.json()["email"] == "ada@example.com"

    path, token = link_in(to_new)
    assert path == "/verify-email"
    assert (await client.post("/auth/email/verify", json={"token": token})).status_code == 204
    me = await client.get("/api/me", headers=headers)
    assert (me.json()["email"], me.json()["email_verified"]) == ("ada@new.example", True)
    assert (await client.post("/auth/email/verify", json={"token": token})).status_code == 400
    await token_pair(client, "ada@new.example")


async def test_required_verified_email_refuses_token_login_until_verified(
    tmp_path: Path, smtp: SMTPServer
) -> None:
    settings = Settings(
        data_dir=tmp_path / "strict",
        mail_url=SecretStr(f"smtp://127.0.0.1:{smtp.port}"),
        require_verified_email=True,
    )
    async with running(settings) as (app, client):
        await _register(client)
        refused = await client.post(
            "/auth/token", json={"email": "ada@example.com", "password": PASSWORD}
        )
        assert refused.status_code == 403
        assert refused.json()["error"] == "email_not_verified"
        assert "Confirm your email address" in refused.json()["message"]
        # The refusal mailed a fresh link; it verifies the address.
        messages = await received(app, smtp, 2)
        token = link_in(messages[1])[1]
        assert (await client.post("/auth/email/verify", json={"token": token})).status_code == 204
        await token_pair(client)


async def test_smtp_down_the_request_still_answers_and_the_failure_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        data_dir=tmp_path / "down", mail_url=SecretStr(f"smtp://127.0.0.1:{free_port()}")
    )
    caplog.set_level(logging.WARNING, logger="gatepass.mail")
    async with running(settings) as (app, client):
        state = server_state(app)
        # One attempt, so the test does not wait through the retries' pauses.
        state.mail.sender = MailSender(state.mail.sender.transport, attempts=1)
        assert (await _register(client)).status_code == 201
        forgot = await client.post("/auth/password/forgot", json={"email": "ada@example.com"})
        assert forgot.status_code == 202
        await state.mail.sender.drain()
    failures = [r for r in caplog.records if r.name == "gatepass.mail"]
    assert len(failures) == 2
    assert all(r.levelno == logging.ERROR and "not sent" in r.getMessage() for r in failures)
    assert "Reset your gatepass password" in failures[1].getMessage()


async def test_without_a_mail_url_messages_go_to_the_outbox_folder(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(data_dir=tmp_path / "dev")
    caplog.set_level(logging.INFO, logger="gatepass.mail")
    async with running(settings) as (app, client):
        await _register(client)
        await server_state(app).mail.sender.drain()
    [eml] = list((tmp_path / "dev" / "outbox").glob("*.eml"))
    assert eml.stat().st_mode & 0o077 == 0
    assert "http://127.0.0.1:8000/verify-email?token=" in caplog.text


@pytest.mark.redis
async def test_a_link_mailed_by_one_process_works_in_another_sharing_redis(
    tmp_path: Path, smtp: SMTPServer, redis_url: str
) -> None:
    async with redis_prefix_scope(redis_url) as prefix:
        settings = Settings(
            data_dir=tmp_path / "shared",
            redis_url=redis_url,
            redis_prefix=prefix,
            mail_url=SecretStr(f"smtp://127.0.0.1:{smtp.port}"),
        )
        async with running(settings) as (first_app, first), running(settings) as (_, second):
            await _register(first)
            await first.post("/auth/password/forgot", json={"email": "ada@example.com"})
            _, token = link_in((await received(first_app, smtp, 2))[1])
            body = {"token": token, "password": NEW_PASSWORD}
            assert (await second.post("/auth/password/reset", json=body)).status_code == 204
            # Spent everywhere: the record was taken from Redis.
            again = await first.post("/auth/password/reset", json=body)
            assert again.status_code == 400


@pytest.mark.parametrize("security", ["starttls", "tls"])
async def test_the_server_mails_through_tls_with_smtp_auth(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, security: Literal["starttls", "tls"]
) -> None:
    scheme = {"starttls": "smtp+starttls", "tls": "smtps"}[security]
    with smtp_server(tmp_path, security=security, auth=True) as server:
        assert server.certificate is not None
        # The server trusts the system's CAs; this test's CA joins them the standard way.
        ca = tmp_path / "ca.pem"
        ca.write_bytes(server.certificate.cert_pem)
        monkeypatch.setenv("SSL_CERT_FILE", str(ca))
        url = f"{scheme}://{USERNAME}:{SMTP_PASSWORD}@127.0.0.1:{server.port}"
        settings = Settings(data_dir=tmp_path / "tls", mail_url=SecretStr(url))
        async with running(settings) as (app, client):
            await _register(client)
            [message] = await received(app, server, 1)
    # With STARTTLS the test server refuses mail without AUTH: delivery proves the login.
    assert message["To"] == "ada@example.com"
