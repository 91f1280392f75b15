"""Shared test support: users, a verify callback and a plain-dict session middleware."""

from __future__ import annotations

import asyncio
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECRET = "test-secret-key-that-is-long-enough-0123456789"


@dataclass(frozen=True)
class User:
    """A user as an app would keep one."""

    id: str
    email: str
    password: str
    roles: tuple[str, ...] = ()


ALICE = User("u1", "alice@example.com", "correct horse", ("reports:read",))
BOB = User("u2", "bob@example.com", "battery staple")
USERS = {u.email: u for u in (ALICE, BOB)}
BY_ID = {u.id: u for u in (ALICE, BOB)}


def check_password(email: str, password: str) -> User | None:
    """A sync verify callback, the seed's ``(email, password, done)``."""
    user = USERS.get(email)
    if user is None or not hmac.compare_digest(user.password, password):
        return None
    return user


class DictSessionMiddleware:
    """A minimal server-side session whose ``scope["session"]`` is a plain dict."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.sessions: dict[str, dict[str, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        sid = HTTPConnection(scope).cookies.get("sid", "")
        session = dict(self.sessions.get(sid, {}))
        scope["session"] = session

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start" and session != self.sessions.get(sid, {}):
                self.sessions.pop(sid, None)
                new_sid = secrets.token_urlsafe(16)
                self.sessions[new_sid] = dict(session)
                headers = list(message.get("headers", []))
                headers.append((b"set-cookie", f"sid={new_sid}; Path=/; HttpOnly".encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_wrapper)


async def websocket_session(
    app: ASGIApp, path: str, headers: dict[str, str] | None = None
) -> list[Message]:
    """Open a WebSocket on an ASGI app in process and return every message the app sent.

    The client side connects, then disconnects as soon as the app closes; a
    ``websocket.close`` as the first message means the handshake was refused.
    """
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    inbox.put_nowait({"type": "websocket.connect"})
    sent: list[Message] = []

    async def receive() -> Message:
        return await inbox.get()

    async def send(message: Message) -> None:
        sent.append(message)
        if message["type"] == "websocket.close":
            inbox.put_nowait({"type": "websocket.disconnect", "code": message.get("code", 1000)})

    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "scheme": "ws",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 50000),
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "subprotocols": [],
    }
    await asyncio.wait_for(app(scope, receive, send), timeout=5)
    return sent
