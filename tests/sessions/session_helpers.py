"""Helpers shared by the session tests: a settable clock, a tiny app, an HTTP client."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gatepass.sessions import (
    SessionMiddleware,
    SessionStore,
    flash,
    get_flashed_messages,
)

KEY = "k" * 32
OLD_KEY = "o" * 32


@dataclass
class FakeClock:
    """A clock the test moves by hand."""

    now: datetime = field(default_factory=lambda: datetime(2026, 1, 1, 12, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


async def _show(request: Request) -> Response:
    session = request.session
    return JSONResponse({"data": dict(session), "id": getattr(session, "id", None)})


async def _set(request: Request) -> Response:
    for key, value in request.query_params.items():
        request.session[key] = value
    return JSONResponse({"ok": True})


async def _login(request: Request) -> Response:
    session: Any = request.session
    session.regenerate(keep=request.query_params.getlist("keep"))
    session.user_id = request.query_params.get("user", "alice")
    session.remember = request.query_params.get("remember") == "1"
    return JSONResponse({"ok": True})


async def _logout(request: Request) -> Response:
    session: Any = request.session
    session.destroy(everywhere=request.query_params.get("everywhere") == "1")
    return JSONResponse({"ok": True})


async def _flash(request: Request) -> Response:
    flash(request, "info", request.query_params.get("text", "hello"))
    return JSONResponse({"ok": True})


async def _messages(request: Request) -> Response:
    return JSONResponse([list(message) for message in get_flashed_messages(request)])


def session_app(store: SessionStore, **options: Any) -> SessionMiddleware:
    """A minimal app behind ``SessionMiddleware`` with routes that drive the session."""
    routes = [
        Route("/show", _show),
        Route("/set", _set, methods=["POST"]),
        Route("/login", _login, methods=["POST"]),
        Route("/logout", _logout, methods=["POST"]),
        Route("/flash", _flash, methods=["POST"]),
        Route("/messages", _messages),
    ]
    options.setdefault("secret_keys", [KEY])
    return SessionMiddleware(Starlette(routes=routes), store=store, **options)


def client_for(app: Any, base_url: str = "http://localhost") -> httpx.AsyncClient:
    """An in-process HTTP client (plain http to localhost: the development cookie)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)
