"""Attacks on the mailed flows: reuse, wrong purpose, stale links, enumeration, guessing."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from gatepass.mail import OneTimeTokens
from gatepass.server.mail import one_time_secret
from gatepass.server.settings import Settings
from server.mail_flow_helpers import code_in, link_in, received, server_state
from server.server_helpers import PASSWORD, EventLog, fast_hasher
from smtp_helpers import SMTPServer

NEW_PASSWORD = "a brand new passphrase for ada"


@pytest.fixture
def settings(mail_settings: Settings) -> Settings:
    return mail_settings


async def _registered(app: FastAPI, client: httpx.AsyncClient, smtp: SMTPServer) -> str:
    """Register ada and return the token of her verification link."""
    await client.post("/auth/register", json={"email": "ada@example.com", "password": PASSWORD})
    return link_in((await received(app, smtp, 1))[0])[1]


async def _reset_link(app: FastAPI, client: httpx.AsyncClient, smtp: SMTPServer) -> str:
    count = len(smtp.inbox.messages)
    await client.post("/auth/password/forgot", json={"email": "ada@example.com"})
    return link_in((await received(app, smtp, count + 1))[count])[1]


def _refused(response: httpx.Response) -> None:
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_token",
        "message": "This link or code is invalid or has expired. Ask for a new one.",
    }


async def test_a_reset_link_works_once(
    app: FastAPI, client: httpx.AsyncClient, smtp: SMTPServer
) -> None:
    await _registered(app, client, smtp)
    token = await _reset_link(app, client, smtp)
    body = {"token": token, "password": NEW_PASSWORD}
    assert (await client.post("/auth/password/reset", json=body)).status_code == 204
    _refused(await client.post("/auth/password/reset", json=body | {"password": "x" + PASSWORD}))


async def test_one_reset_ends_every_other_outstanding_reset_link(
    app: FastAPI, client: httpx.AsyncClient, smtp: SMTPServer
) -> None:
    await _registered(app, client, smtp)
    first = await _reset_link(app, client, smtp)
    second = await _reset_link(app, client, smtp)
    body = {"token": second, "password": NEW_PASSWORD}
    assert (await client.post("/auth/password/reset", json=body)).status_code == 204
    _refused(await client.post("/auth/password/reset", json=body | {"token": first}))


async def test_a_token_of_another_purpose_is_refused(
    app: FastAPI, client: httpx.AsyncClient, smtp: SMTPServer
) -> None:
    verify = await _registered(app, client, smtp)
    reset = await _reset_link(app, client, smtp)
    await client.post("/auth/login/email", json={"email": "ada@example.com"})
    login = link_in((await received(app, smtp, 3))[2])[1]
    _refused(
        await client.post("/auth/password/reset", json={"token": verify, "password": NEW_PASSWORD})
    )
    _refused(await client.post("/auth/email/verify", json={"token": reset}))
    _refused(await client.post("/auth/login/email/verify", json={"token": reset}))
    _refused(
        await client.post("/auth/password/reset", json={"token": login, "password": NEW_PASSWORD})
    )
    # The refused attempts spent nothing: each token still does its own job.
    assert (await client.post("/auth/email/verify", json={"token": verify})).status_code == 204
    assert (await client.post("/auth/login/email/verify", json={"token": login})).status_code == 200


async def test_a_reset_link_dies_when_the_password_changes(
    app: FastAPI, client: httpx.AsyncClient, smtp: SMTPServer
) -> None:
    await _registered(app, client, smtp)
    token = await _reset_link(app, client, smtp)
    state = server_state(app)
    user = await state.backends.users.find_by_email("ada@example.com")
    assert user is not None
    await state.backends.users.set_password_hash(user.id, state.hasher.hash("changed elsewhere 1"))
    _refused(
        await client.post("/auth/password/reset", json={"token": token, "password": NEW_PASSWORD})
    )


async def test_a_verification_link_dies_when_the_address_changes(
    app: FastAPI, client: httpx.AsyncClient, smtp: SMTPServer
) -> None:
    token = await _registered(app, client, smtp)
    state = server_state(app)
    user = await state.backends.users.find_by_email("ada@example.com")
    assert user is not None
    await state.backends.users.change_email(user.id, "ada@elsewhere.example")
    _refused(await client.post("/auth/email/verify", json={"token": token}))


async def test_an_expired_reset_link_is_refused(
    app: FastAPI, client: httpx.AsyncClient, smtp: SMTPServer, settings: Settings
) -> None:
    await _registered(app, client, smtp)
    state = server_state(app)
    # Tokens issued an hour ago: a 30-minute reset link from then is dead now.
    state.mail.tokens = OneTimeTokens(
        state.backends.one_time,
        secret=one_time_secret(settings.data_dir),
        clock=lambda: time.time() - 3600,
    )
    token = await _reset_link(app, client, smtp)
    _refused(
        await client.post("/auth/password/reset", json={"token": token, "password": NEW_PASSWORD})
    )


async def test_forgot_answers_unknown_and_known_addresses_alike_and_mails_only_the_known(
    app: FastAPI, client: httpx.AsyncClient, smtp: SMTPServer
) -> None:
    await _registered(app, client, smtp)
    known = await client.post("/auth/password/forgot", json={"email": "ada@example.com"})
    unknown = await client.post("/auth/password/forgot", json={"email": "eve@example.com"})
    invalid = await client.post("/auth/password/forgot", json={"email": "not an address"})
    for response in (unknown, invalid):
        assert (response.status_code, response.content) == (known.status_code, known.content)
        assert response.headers.keys() == known.headers.keys()
    messages = await received(app, smtp, 2)
    assert [m["To"] for m in messages] == ["ada@example.com", "ada@example.com"]
    login_known = await client.post("/auth/login/email", json={"email": "ada@example.com"})
    login_unknown = await client.post("/auth/login/email", json={"email": "eve@example.com"})
    assert login_unknown.content == login_known.content
    await received(app, smtp, 3)
    assert [m["To"] for m in smtp.inbox.messages].count("eve@example.com") == 0


async def test_an_unknown_address_costs_the_same_store_write_as_a_known_one(
    app: FastAPI, client: httpx.AsyncClient, smtp: SMTPServer, settings: Settings
) -> None:
    # The time an answer takes must not tell: an unknown address stores a token too.
    def rows() -> int:
        with closing(sqlite3.connect(settings.data_dir / "onetime.db")) as database:
            count: int = database.execute(
                "SELECT count(*) FROM gatepass_one_time_tokens"
            ).fetchone()[0]
            return count

    await _registered(app, client, smtp)
    before = rows()
    await client.post("/auth/password/forgot", json={"email": "ada@example.com"})
    known = rows()
    await client.post("/auth/password/forgot", json={"email": "eve@example.com"})
    assert rows() - known == known - before == 1


async def test_wrong_codes_count_and_then_even_the_right_one_is_throttled(
    app: FastAPI, client: httpx.AsyncClient, smtp: SMTPServer
) -> None:
    await _registered(app, client, smtp)
    await client.post("/auth/login/email", json={"email": "ada@example.com"})
    code = code_in((await received(app, smtp, 2))[1])
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        body = {"email": "ada@example.com", "code": wrong}
        _refused(await client.post("/auth/login/email/verify", json=body))
    throttled = await client.post(
        "/auth/login/email/verify", json={"email": "ada@example.com", "code": code}
    )
    assert throttled.status_code == 429
    assert throttled.json()["error"] == "rate_limited"
    assert int(throttled.headers["retry-after"]) > 0


async def test_forgot_is_throttled_per_address_for_known_and_unknown_alike(
    client: httpx.AsyncClient,
) -> None:
    for email in ("ada@example.com", "eve@example.com"):
        answers = [
            (await client.post("/auth/password/forgot", json={"email": email})).status_code
            for _ in range(6)
        ]
        assert answers == [202] * 5 + [429]


async def test_security_events_name_each_step_and_never_a_secret(
    tmp_path: Path, smtp: SMTPServer, settings: Settings
) -> None:
    from gatepass.server.app import create_app
    from gatepass.server.logging import SecurityLog

    log = EventLog()
    app = create_app(settings, hasher=fast_hasher(), security=SecurityLog(log.logger))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8000"
        ) as client,
    ):
        verify = await _registered(app, client, smtp)
        await client.post("/auth/email/verify", json={"token": verify})
        reset = await _reset_link(app, client, smtp)
        await client.post("/auth/password/reset", json={"token": reset, "password": NEW_PASSWORD})
        await client.post("/auth/password/reset", json={"token": reset, "password": NEW_PASSWORD})
    names = [event["event"] for event in log.events]
    for expected in (
        "email.verification_sent",
        "email.verified",
        "password.forgot",
        "password.reset",
        "password.reset.invalid_token",
    ):
        assert expected in names
    text = repr(log.events)
    assert verify not in text
    assert reset not in text
    assert NEW_PASSWORD not in text
