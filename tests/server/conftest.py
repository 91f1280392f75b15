"""Fixtures: the server app on a temporary data folder, driven in process over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from gatepass.server.app import create_app
from gatepass.server.logging import SecurityLog
from gatepass.server.settings import Settings
from server.server_helpers import fast_hasher

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
