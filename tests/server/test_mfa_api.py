"""The JSON second factor over HTTP: set-up, ``mfa_required``, verify, replay, throttle."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from gatepass.mfa import code_at
from server.mfa_helpers import Clock, client_of, enrol_api, mfa_app, mfa_token, wrong
from server.server_helpers import PASSWORD, bearer, register, token_pair

EMAIL = "ada@example.com"


@pytest.fixture
def clock() -> Clock:
    """The clock of the app's TOTP steps and challenges."""
    return Clock()


@pytest.fixture
async def app(tmp_path: Path, clock: Clock) -> AsyncIterator[FastAPI]:
    """The server, MFA on ``clock``, five code attempts per account a minute."""
    async with mfa_app(tmp_path, clock, mfa_limit="5/minute") as application:
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An API client on the app."""
    async with client_of(app) as http:
        yield http


@pytest.fixture
async def enrolled(client: httpx.AsyncClient, clock: Clock) -> tuple[str, list[str]]:
    """Ada's account with TOTP on: her secret and recovery codes."""
    await register(client, EMAIL)
    pair = await token_pair(client, EMAIL)
    return await enrol_api(client, pair["access_token"], clock)


async def _verify(client: httpx.AsyncClient, token: str, code: str) -> httpx.Response:
    return await client.post("/auth/mfa/verify", json={"mfa_token": token, "code": code})


async def test_setup_gives_a_secret_and_an_otpauth_uri(client: httpx.AsyncClient) -> None:
    await register(client, EMAIL)
    pair = await token_pair(client, EMAIL)
    response = await client.post("/auth/mfa/totp/setup", headers=bearer(pair["access_token"]))
    assert response.status_code == 200
    body = response.json()
    assert body["otpauth_uri"].startswith("otpauth://totp/")
    assert f"secret={body['secret']}" in body["otpauth_uri"]
    assert response.headers["cache-control"] == "no-store"
    # Not on until confirmed: the password alone still gives a pair.
    assert (await token_pair(client, EMAIL))["token_type"] == "Bearer"


async def test_confirm_gives_ten_recovery_codes_and_turns_mfa_on(
    client: httpx.AsyncClient, enrolled: tuple[str, list[str]]
) -> None:
    _, codes = enrolled
    assert len(codes) == 10 == len(set(codes))
    response = await client.post("/auth/token", json={"email": EMAIL, "password": PASSWORD})
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "mfa_required"
    assert body["message"]
    assert set(body["methods"]) == {"totp", "recovery_code"}
    assert len(body["mfa_token"]) >= 40
    assert "access_token" not in body
    assert "refresh_token" not in body


async def test_a_totp_code_completes_the_login_with_a_pair(
    client: httpx.AsyncClient, enrolled: tuple[str, list[str]], clock: Clock
) -> None:
    secret, _ = enrolled
    token = await mfa_token(client, EMAIL, PASSWORD)
    response = await _verify(client, token, code_at(secret, clock.now))
    assert response.status_code == 200
    pair = response.json()
    assert pair["token_type"] == "Bearer"
    me = await client.get("/api/me", headers=bearer(pair["access_token"]))
    assert me.json()["email"] == EMAIL


async def test_a_totp_code_replayed_in_its_window_is_refused(
    client: httpx.AsyncClient, enrolled: tuple[str, list[str]], clock: Clock
) -> None:
    secret, _ = enrolled
    code = code_at(secret, clock.now)
    assert (await _verify(client, await mfa_token(client, EMAIL, PASSWORD), code)).is_success
    clock.now += 15  # same step, well inside the window
    replay = await _verify(client, await mfa_token(client, EMAIL, PASSWORD), code)
    assert replay.status_code == 401
    assert replay.json()["error"] == "invalid_mfa_code"


async def test_a_wrong_code_is_401_and_gives_no_pair(
    client: httpx.AsyncClient, enrolled: tuple[str, list[str]], clock: Clock
) -> None:
    secret, _ = enrolled
    token = await mfa_token(client, EMAIL, PASSWORD)
    response = await _verify(client, token, wrong(code_at(secret, clock.now)))
    assert response.status_code == 401
    assert set(response.json()) == {"error", "message"}
    # The token survives a typo: the right code still completes this login.
    assert (await _verify(client, token, code_at(secret, clock.now))).status_code == 200


async def test_a_recovery_code_works_once(
    client: httpx.AsyncClient, enrolled: tuple[str, list[str]]
) -> None:
    _, codes = enrolled
    first = await _verify(client, await mfa_token(client, EMAIL, PASSWORD), codes[0])
    assert first.status_code == 200
    again = await _verify(client, await mfa_token(client, EMAIL, PASSWORD), codes[0])
    assert again.status_code == 401


async def test_an_mfa_token_is_single_use(
    client: httpx.AsyncClient, enrolled: tuple[str, list[str]], clock: Clock
) -> None:
    secret, codes = enrolled
    token = await mfa_token(client, EMAIL, PASSWORD)
    assert (await _verify(client, token, code_at(secret, clock.now))).status_code == 200
    response = await _verify(client, token, codes[0])
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_mfa_code"


async def test_an_mfa_token_expires_after_five_minutes(
    client: httpx.AsyncClient, enrolled: tuple[str, list[str]], clock: Clock
) -> None:
    secret, _ = enrolled
    token = await mfa_token(client, EMAIL, PASSWORD)
    clock.now += 5 * 60
    response = await _verify(client, token, code_at(secret, clock.now))
    assert response.status_code == 401
    assert "expired" in response.json()["message"]


async def test_an_unknown_mfa_token_is_refused(client: httpx.AsyncClient) -> None:
    response = await _verify(client, "made-up", "123456")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_mfa_code"


async def test_code_attempts_are_throttled_per_account(
    client: httpx.AsyncClient, enrolled: tuple[str, list[str]], clock: Clock
) -> None:
    secret, _ = enrolled
    bad = wrong(code_at(secret, clock.now))
    for _ in range(5):
        # A fresh mfa_token each time: the throttle is per account, not per token.
        response = await _verify(client, await mfa_token(client, EMAIL, PASSWORD), bad)
        assert response.status_code == 401
    blocked = await _verify(
        client, await mfa_token(client, EMAIL, PASSWORD), code_at(secret, clock.now)
    )
    assert blocked.status_code == 429
    assert blocked.json()["error"] == "rate_limited"
    assert int(blocked.headers["retry-after"]) >= 1


async def test_disable_needs_a_right_code_then_the_password_is_enough(
    client: httpx.AsyncClient, enrolled: tuple[str, list[str]], clock: Clock
) -> None:
    secret, _ = enrolled
    token = await mfa_token(client, EMAIL, PASSWORD)
    pair = (await _verify(client, token, code_at(secret, clock.now))).json()
    headers = bearer(pair["access_token"])
    clock.now += 30
    refused = await client.request(
        "DELETE",
        "/auth/mfa/totp",
        json={"code": wrong(code_at(secret, clock.now))},
        headers=headers,
    )
    assert refused.status_code == 401
    done = await client.request(
        "DELETE", "/auth/mfa/totp", json={"code": code_at(secret, clock.now)}, headers=headers
    )
    assert done.status_code == 204
    assert (await token_pair(client, EMAIL))["token_type"] == "Bearer"


async def test_setup_while_on_and_confirm_without_setup_are_409(
    client: httpx.AsyncClient, enrolled: tuple[str, list[str]], clock: Clock
) -> None:
    secret, _ = enrolled
    token = await mfa_token(client, EMAIL, PASSWORD)
    headers = bearer(
        (await _verify(client, token, code_at(secret, clock.now))).json()["access_token"]
    )
    again = await client.post("/auth/mfa/totp/setup", headers=headers)
    assert again.status_code == 409
    assert again.json()["error"] == "mfa_state"
    confirm = await client.post("/auth/mfa/totp/confirm", json={"code": "123456"}, headers=headers)
    assert confirm.status_code == 409


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/auth/mfa/totp/setup"),
        ("POST", "/auth/mfa/totp/confirm"),
        ("DELETE", "/auth/mfa/totp"),
    ],
)
async def test_factor_management_needs_a_bearer_token(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await client.request(method, path, json={"code": "123456"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_bad_bodies_are_clear_json_errors(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/mfa/verify", json={"mfa_token": 1, "code": "x"})
    assert response.status_code == 422
    assert set(response.json()) == {"error", "message"}


async def test_security_log_records_mfa_events_without_secrets(
    client: httpx.AsyncClient,
    enrolled: tuple[str, list[str]],
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret, codes = enrolled
    with caplog.at_level(logging.INFO, logger="gatepass.security"):
        token = await mfa_token(client, EMAIL, PASSWORD)
        await _verify(client, token, wrong(code_at(secret, clock.now)))
        await _verify(client, token, codes[1])
    text = caplog.text
    assert "mfa.challenged" in text
    assert "mfa.failed" in text
    assert '"method":"recovery_code"' in text
    for leaked in (secret, token, codes[1]):
        assert leaked not in text


async def test_an_mfa_token_dies_when_the_password_changes(
    app: FastAPI, client: httpx.AsyncClient, enrolled: tuple[str, list[str]], clock: Clock
) -> None:
    secret, _ = enrolled
    token = await mfa_token(client, EMAIL, PASSWORD)
    state = app.state.gatepass
    user = await state.backends.users.find_by_email(EMAIL)
    assert user is not None
    await state.backends.users.set_password_hash(user.id, state.hasher.hash("another pass 42"))
    response = await _verify(client, token, code_at(secret, clock.now))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_mfa_code"


async def test_signing_in_by_mailed_code_still_asks_for_the_second_factor(
    app: FastAPI, client: httpx.AsyncClient, enrolled: tuple[str, list[str]], clock: Clock
) -> None:
    secret, _ = enrolled
    assert (await client.post("/auth/login/email", json={"email": EMAIL})).status_code == 202
    await app.state.gatepass.mail.sender.drain()
    outbox = Path(app.state.gatepass.settings.data_dir) / "outbox"
    [mail] = [p.read_text() for p in outbox.glob("*.eml") if "Sign in to" in p.read_text()]
    code = next(line.strip() for line in mail.splitlines() if re.fullmatch(r"\s*\d{6}\s*", line))
    answer = await client.post("/auth/login/email/verify", json={"email": EMAIL, "code": code})
    # The mailbox is one factor: no pair until the authenticator's code.
    assert answer.status_code == 401
    assert answer.json()["error"] == "mfa_required"
    assert "access_token" not in answer.json()
    done = await _verify(client, answer.json()["mfa_token"], code_at(secret, clock.now))
    assert done.status_code == 200
    assert done.json()["token_type"] == "Bearer"
