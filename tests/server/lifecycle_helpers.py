"""Helpers of the token-lifecycle tests: running apps, fresh stores, a hand-moved clock."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from gatepass.server.app import create_app
from gatepass.server.backends import Backends
from gatepass.server.logging import SecurityLog
from gatepass.server.settings import Settings
from gatepass.server.state import ServerState
from gatepass.tokens import decode_unverified
from gatepass.users import async_database_url
from server.server_helpers import fast_hasher

BASE_URL = "http://127.0.0.1:8000"


class Clock:
    """Epoch seconds that move only when the test moves them."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def unique_prefix() -> str:
    """A Redis key prefix no other test run uses (it matches the setting's pattern)."""
    return f"gptest{secrets.token_hex(6)}:"


@asynccontextmanager
async def redis_prefix_scope(redis_url: str) -> AsyncIterator[str]:
    """A fresh Redis key prefix; every key under it is deleted afterwards.

    Args:
        redis_url: the shared Redis server.

    Yields:
        The prefix.
    """
    prefix = unique_prefix()
    try:
        yield prefix
    finally:
        client = Redis.from_url(redis_url)
        try:
            keys = [key async for key in client.scan_iter(match=f"*{prefix}*")]
            if keys:
                await client.delete(*keys)
        finally:
            await client.aclose()


@asynccontextmanager
async def fresh_database(postgres_url: str) -> AsyncIterator[str]:
    """A new PostgreSQL database ``gp_<random>``, dropped (forcibly) afterwards.

    Args:
        postgres_url: a database of the shared server to connect through.

    Yields:
        The new database's URL.
    """
    name = f"gp_{secrets.token_hex(6)}"
    engine = create_async_engine(async_database_url(postgres_url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield urlunsplit(urlsplit(postgres_url)._replace(path=f"/{name}"))
        finally:
            async with engine.connect() as connection:
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await engine.dispose()


@asynccontextmanager
async def running(
    settings: Settings, *, backends: Backends | None = None
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The server with its lifespan running, and an in-process client to it.

    Args:
        settings: the server's settings.
        backends: the stores; default as the settings say.

    Yields:
        The app and a client bound to it.
    """
    app = create_app(settings, backends=backends, hasher=fast_hasher(), security=SecurityLog())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            yield app, client


def server_state(app: FastAPI) -> ServerState:
    """The state object the app's routes work with.

    Args:
        app: an app made by ``create_app``.

    Returns:
        Its ``ServerState``.
    """
    state: ServerState = app.state.gatepass
    return state


async def refresh(client: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    """``POST /auth/refresh`` with one refresh token.

    Args:
        client: the client of a server.
        refresh_token: the opaque token.

    Returns:
        The response.
    """
    return await client.post("/auth/refresh", json={"refresh_token": refresh_token})


def kid_of(token: str) -> Any:
    """The ``kid`` header of a compact JWT (not verified).

    Args:
        token: the JWT.

    Returns:
        The header's ``kid``.
    """
    header, _claims = decode_unverified(token)
    return header.get("kid")
