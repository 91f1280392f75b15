"""Fixtures for the Authenticator: users, an Authenticator, apps with either session kind."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from typing import Literal

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from authenticator.support import BY_ID, SECRET, DictSessionMiddleware, User, check_password
from gatepass.authenticator import Authenticator
from gatepass.integrations import AuthMiddleware
from gatepass.sessions import MemorySessionStore, SessionMiddleware
from gatepass.strategies import LocalStrategy

SessionKind = Literal["gatepass", "dict"]
MakeApp = Callable[..., Starlette]


@pytest.fixture
def auth() -> Authenticator:
    """An Authenticator wired like the seed: local strategy on ``email``, ids in the session."""
    authenticator = Authenticator(user_scopes=lambda user: user.roles)
    authenticator.use(LocalStrategy(check_password, username_field="email"))

    @authenticator.serializer
    def serialize(user: User) -> str:
        return user.id

    @authenticator.deserializer
    async def deserialize(user_id: str) -> User | None:
        return BY_ID.get(user_id)

    return authenticator


def _session_middleware(kind: SessionKind) -> Middleware:
    if kind == "dict":
        return Middleware(DictSessionMiddleware)
    return Middleware(
        SessionMiddleware, store=MemorySessionStore(), secret_keys=[SECRET], secure=False
    )


@pytest.fixture(params=["gatepass", "dict"])
def session_kind(request: pytest.FixtureRequest) -> SessionKind:
    """Every session-dependent test runs with gatepass's Session and with a plain dict."""
    kind: SessionKind = request.param
    return kind


@pytest.fixture
def make_app(session_kind: SessionKind) -> MakeApp:
    """Build a Starlette app with a session and the AuthMiddleware around ``routes``."""

    def build(
        auth: Authenticator, routes: Sequence[BaseRoute], *, middleware: bool = True
    ) -> Starlette:
        stack = [_session_middleware(session_kind)]
        if middleware:
            stack.append(Middleware(AuthMiddleware, authenticator=auth))
        return Starlette(routes=list(routes), middleware=stack)

    return build


@pytest.fixture
async def client_for() -> AsyncIterator[Callable[[ASGIApp], httpx.AsyncClient]]:
    """Open ``httpx.AsyncClient``s on apps, closed after the test."""
    opened: list[httpx.AsyncClient] = []

    def open_client(app: ASGIApp) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )
        opened.append(client)
        return client

    yield open_client
    for client in opened:
        await client.aclose()
