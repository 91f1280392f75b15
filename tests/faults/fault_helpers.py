"""Helpers for outage tests: the server with one user, and a load that records every answer.

The services the outages happen to live in ``service_helpers``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from fastapi import FastAPI

from gatepass.server.app import create_app
from gatepass.server.logging import SecurityLog
from gatepass.server.settings import Settings
from gatepass.server.state import ServerState
from server.server_helpers import BROWSER, PASSWORD, bearer, fast_hasher, login
from service_helpers import free_port

__all__ = ["EMAIL", "Load", "Request", "Sample", "free_port", "one_user_server", "user_load"]

EMAIL = "load@example.com"


@dataclass(frozen=True, slots=True)
class Sample:
    """One request of a load: what it was, when it ran (monotonic seconds), its status."""

    kind: str
    started: float
    ended: float
    status: int


Request = Callable[[], Awaitable[int]]


@dataclass
class Load:
    """Concurrent workers sending requests until stopped, recording every answer.

    Args:
        requests: by kind, a coroutine function that sends one request and returns
            its status (a transport error is recorded as status 0).
        workers: how many workers per kind.
    """

    requests: dict[str, Request]
    workers: int = 5
    samples: list[Sample] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def _work(self, kind: str, send: Request) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                status = await send()
            except httpx.TransportError:
                status = 0
            self.samples.append(Sample(kind, started, time.monotonic(), status))
            await asyncio.sleep(0)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Load]:
        """Run the workers for the duration of the ``async with`` block."""
        tasks = [
            asyncio.create_task(self._work(kind, send))
            for kind, send in self.requests.items()
            for _ in range(self.workers)
        ]
        try:
            yield self
        finally:
            self._stop.set()
            await asyncio.gather(*tasks)

    def between(self, start: float, end: float) -> list[Sample]:
        """The samples that started after ``start`` and ended before ``end``."""
        return [s for s in self.samples if s.started >= start and s.ended <= end]


@asynccontextmanager
async def one_user_server(data_dir: Path, **stores: str) -> AsyncIterator[FastAPI]:
    """The server, started, with the rate limits out of the way and one user, ``EMAIL``.

    Args:
        data_dir: the server's data folder.
        **stores: where the stores live (``database_url=...``, ``redis_url=...``).
    """
    settings = Settings(
        data_dir=data_dir,
        login_limit="100000/minute",
        address_limit="100000/minute",
        refresh_limit="100000/minute",
        **stores,  # type: ignore[arg-type]
    )
    application = create_app(settings, hasher=fast_hasher(), security=SecurityLog())
    async with application.router.lifespan_context(application):
        state: ServerState = application.state.gatepass
        password_hash = await state.hasher.hash_async(PASSWORD)
        await state.backends.users.create(email=EMAIL, password_hash=password_hash)
        yield application


@asynccontextmanager
async def user_load(app: FastAPI, *, workers: int) -> AsyncIterator[Load]:
    """A :class:`Load` of ``EMAIL`` signed in: ``me`` (bearer), ``token`` (login), ``dashboard``.

    Args:
        app: from :func:`one_user_server`.
        workers: how many workers per kind.
    """
    transport = httpx.ASGITransport(app=app)
    api = httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000")
    browser = httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000")
    async with api, browser:
        pair = (await api.post("/auth/token", json={"email": EMAIL, "password": PASSWORD})).json()
        assert (await login(browser, EMAIL, PASSWORD)).status_code == 303
        access = pair["access_token"]

        async def me() -> int:
            return (await api.get("/api/me", headers=bearer(access))).status_code

        async def token() -> int:
            body = {"email": EMAIL, "password": PASSWORD}
            return (await api.post("/auth/token", json=body)).status_code

        async def dashboard() -> int:
            return (await browser.get("/dashboard", headers=BROWSER)).status_code

        yield Load({"me": me, "token": token, "dashboard": dashboard}, workers=workers)
