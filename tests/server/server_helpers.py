"""Helpers for the server tests: a browser-like client, forms with their CSRF token."""

from __future__ import annotations

import json
import logging
import re
import socket
from typing import Any

import httpx

from gatepass.passwords import Argon2Parameters, PasswordHasher

PASSWORD = "correct horse battery staple"
BROWSER = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8", "user-agent": "Mozilla Chrome"}
FAST_ARGON2 = Argon2Parameters(time_cost=1, memory_cost=8, parallelism=1)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def fast_hasher() -> PasswordHasher:
    """An argon2id hasher with the smallest costs: the cost is not what these tests test."""
    return PasswordHasher(FAST_ARGON2)


def csrf_from(page: str) -> str:
    """The CSRF token of the first form on a page."""
    match = _CSRF.search(page)
    assert match is not None, "the page has no CSRF token"
    return match.group(1)


async def post_form(
    client: httpx.AsyncClient, page: str, action: str, fields: dict[str, str]
) -> httpx.Response:
    """GET ``page``, then POST ``fields`` plus its CSRF token to ``action``, like a browser."""
    form = await client.get(page, headers=BROWSER)
    data = {**fields, "csrf_token": csrf_from(form.text)}
    return await client.post(action, data=data, headers=BROWSER)


async def register(
    client: httpx.AsyncClient, email: str = "ada@example.com", password: str = PASSWORD
) -> httpx.Response:
    """Create an account through the register form (which also logs it in)."""
    return await post_form(client, "/register", "/register", {"email": email, "password": password})


async def login(
    client: httpx.AsyncClient,
    email: str = "ada@example.com",
    password: str = PASSWORD,
    *,
    path: str = "/login",
) -> httpx.Response:
    """Log in through the login form."""
    return await post_form(client, path, path, {"email": email, "password": password})


async def token_pair(
    client: httpx.AsyncClient, email: str = "ada@example.com", password: str = PASSWORD
) -> dict[str, Any]:
    """``POST /auth/token`` and return the JSON pair."""
    response = await client.post("/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(token: str) -> dict[str, str]:
    """The Authorization header of an access token."""
    return {"authorization": f"Bearer {token}", "accept": "application/json"}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


_ACCOUNT_ID = re.compile(r"<dt>Account id</dt><dd><code>([^<]+)</code></dd>")


def account_id(page: str) -> str:
    """The account id shown on the dashboard."""
    match = _ACCOUNT_ID.search(page)
    assert match is not None, f"not the dashboard: {page[:300]}"
    return match.group(1)


class EventLog:
    """A ``logging.Logger`` of its own that keeps the security events it is given."""

    def __init__(self) -> None:
        self.logger = logging.Logger("gatepass.security.test")
        self.events: list[dict[str, Any]] = []
        events = self.events

        class _Keep(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                events.append(json.loads(record.getMessage()))

        self.logger.addHandler(_Keep())

    def named(self, name: str) -> list[dict[str, Any]]:
        """The events called ``name``, in order."""
        return [event for event in self.events if event["event"] == name]
