"""Fixtures: the server app on a temporary data folder, driven in process over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from gatepass.server.app import create_app
from gatepass.server.logging import SecurityLog
from gatepass.server.settings import Settings
from server.server_helpers import fast_hasher
from smtp_helpers import SMTPServer, smtp_server

BASE_URL = "http://127.0.0.1:8000"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Defaults, in a fresh data folder."""
    return Settings(data_dir=tmp_path / "data", login_limit="5/minute")


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The server with its lifespan running (stores open)."""
    application = create_app(settings, hasher=fast_hasher(), security=SecurityLog())
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client that keeps cookies like a browser, on plain http to localhost."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        yield http


@pytest.fixture
async def other_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A second browser (its own cookie jar) on the same server."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        yield http


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SMTPServer]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd); ``smtp.inbox`` is what it received."""
    with smtp_server(tmp_path) as server:
        yield server


@pytest.fixture
def mail_settings(tmp_path: Path, smtp: SMTPServer) -> Settings:
    """Defaults, in a fresh data folder, mailing through ``smtp``."""
    return Settings(
        data_dir=tmp_path / "data",
        login_limit="5/minute",
        mail_url=SecretStr(f"smtp://127.0.0.1:{smtp.port}"),
    )
