"""Helpers for the second-factor tests: a movable clock and enrolment over HTTP."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from gatepass.mfa import code_at
from gatepass.server.app import create_app
from gatepass.server.logging import SecurityLog
from gatepass.server.mfa_state import MFAServer
from gatepass.server.settings import Settings
from server.conftest import BASE_URL
from server.server_helpers import fast_hasher

T0 = 1_800_000_010.0  # 10 s into a 30-second step

_SECRET = re.compile(r'id="totp-secret">([A-Z2-7 ]+)<')


class Clock:
    """Seconds since the epoch, moved by the test."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def use_clock(app: FastAPI, clock: Clock) -> None:
    """Rebuild the app's MFA objects on ``clock`` (TOTP steps, challenge expiry)."""
    app.state.gatepass_mfa = MFAServer.build(app.state.gatepass, clock=clock)


@asynccontextmanager
async def mfa_app(tmp_path: Path, clock: Clock, *, mfa_limit: str) -> AsyncIterator[FastAPI]:
    """The server with its lifespan running and MFA on ``clock``."""
    settings = Settings(data_dir=tmp_path / "data", mfa_limit=mfa_limit)
    application = create_app(settings, hasher=fast_hasher(), security=SecurityLog())
    async with application.router.lifespan_context(application):
        use_clock(application, clock)
        yield application


@asynccontextmanager
async def client_of(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client that keeps cookies like a browser."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http:
        yield http


def wrong(code: str) -> str:
    """A six-digit code that is not ``code``."""
    return f"{(int(code) + 1) % 10**6:06d}"


def secret_from(page: str) -> str:
    """The TOTP secret shown on the set-up page, without its spaces."""
    match = _SECRET.search(page)
    assert match is not None, f"not the set-up page: {page[:300]}"
    return match.group(1).replace(" ", "")


async def enrol_api(
    client: httpx.AsyncClient, access_token: str, clock: Clock
) -> tuple[str, list[str]]:
    """Turn TOTP on over the JSON API; the clock moves past the confirming step.

    Returns:
        The secret and the recovery codes.
    """
    headers = {"authorization": f"Bearer {access_token}"}
    setup = await client.post("/auth/mfa/totp/setup", headers=headers)
    assert setup.status_code == 200, setup.text
    secret: str = setup.json()["secret"]
    confirm = await client.post(
        "/auth/mfa/totp/confirm", json={"code": code_at(secret, clock.now)}, headers=headers
    )
    assert confirm.status_code == 200, confirm.text
    clock.now += 30
    codes: list[str] = confirm.json()["recovery_codes"]
    return secret, codes


async def mfa_token(client: httpx.AsyncClient, email: str, password: str) -> str:
    """``POST /auth/token`` for an account with TOTP on: its ``mfa_token``."""
    response = await client.post("/auth/token", json={"email": email, "password": password})
    assert response.status_code == 401, response.text
    body: dict[str, Any] = response.json()
    assert body["error"] == "mfa_required"
    token: str = body["mfa_token"]
    return token
