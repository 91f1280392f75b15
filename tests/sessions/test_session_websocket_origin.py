"""WebSocket handshakes get the session only from this site (cross-site WebSocket hijacking)."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from gatepass.errors import ConfigurationError
from gatepass.sessions import MemorySessionStore, SessionMiddleware
from sessions.session_helpers import KEY, client_for, session_app

COOKIE = "gatepass_session"


async def _echo_session(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_json(dict(websocket.session))
    await websocket.close()


async def _logged_in_cookie(store: MemorySessionStore) -> str:
    async with client_for(session_app(store)) as client:
        await client.post("/login", params={"user": "alice"})
        return client.cookies[COOKIE]


async def _handshake(
    store: MemorySessionStore, cookie: str, headers: dict[str, str], **options: Any
) -> str:
    """Open a WebSocket through SessionMiddleware and return the session it saw, as JSON."""
    options.setdefault("secure", False)  # one cookie name whatever the Host
    app = SessionMiddleware(
        Starlette(routes=[WebSocketRoute("/ws", _echo_session)]),
        store=store,
        secret_keys=[KEY],
        **options,
    )
    inbox: list[dict[str, Any]] = [{"type": "websocket.connect"}]
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return inbox.pop(0) if inbox else {"type": "websocket.disconnect", "code": 1000}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    raw_headers = [(b"cookie", f"{COOKIE}={cookie}".encode())]
    raw_headers += [(k.encode(), v.encode()) for k, v in headers.items()]
    scope = {
        "type": "websocket",
        "path": "/ws",
        "raw_path": b"/ws",
        "root_path": "",
        "scheme": "ws",
        "query_string": b"",
        "headers": raw_headers,
        "server": ("localhost", 80),
        "client": ("127.0.0.1", 5000),
        "subprotocols": [],
    }
    await app(scope, receive, send)
    assert [m["type"] for m in sent] == ["websocket.accept", "websocket.send", "websocket.close"]
    text: str = sent[1]["text"]
    return text


ALICE = '{"_gatepass_uid":"alice"}'


@pytest.mark.parametrize(
    "origin",
    [
        "http://evil.example",
        "http://localhost.evil.example",
        "http://localhost:8080",
        "https://localhost:8443",
        "null",
        "not an origin",
    ],
)
async def test_cross_site_websocket_gets_an_empty_session(
    memory_store: MemorySessionStore, origin: str
) -> None:
    cookie = await _logged_in_cookie(memory_store)
    seen = await _handshake(memory_store, cookie, {"host": "localhost", "origin": origin})
    assert seen == "{}"


@pytest.mark.parametrize(
    ("host", "origin"),
    [
        ("localhost", "http://localhost"),
        ("LOCALHOST", "http://localhost"),
        ("localhost:8000", "http://localhost:8000"),
        ("app.example", "https://app.example"),
        ("app.example:443", "https://app.example"),
    ],
)
async def test_same_site_websocket_sees_the_session(
    memory_store: MemorySessionStore, host: str, origin: str
) -> None:
    cookie = await _logged_in_cookie(memory_store)
    seen = await _handshake(memory_store, cookie, {"host": host, "origin": origin})
    assert seen == ALICE


async def test_websocket_without_origin_is_not_a_browser_page_and_sees_the_session(
    memory_store: MemorySessionStore,
) -> None:
    cookie = await _logged_in_cookie(memory_store)
    assert await _handshake(memory_store, cookie, {"host": "localhost"}) == ALICE


async def test_allowed_origins_admit_another_site(memory_store: MemorySessionStore) -> None:
    cookie = await _logged_in_cookie(memory_store)
    headers = {"host": "api.example", "origin": "https://App.Example"}
    allowed = await _handshake(
        memory_store, cookie, headers, allowed_origins=["https://app.example:443"]
    )
    refused = await _handshake(memory_store, cookie, headers)
    assert (allowed, refused) == (ALICE, "{}")


async def test_cross_site_websocket_leaves_the_stored_session_intact(
    memory_store: MemorySessionStore,
) -> None:
    cookie = await _logged_in_cookie(memory_store)
    await _handshake(memory_store, cookie, {"host": "localhost", "origin": "http://evil.example"})
    assert await _handshake(memory_store, cookie, {"host": "localhost"}) == ALICE


@pytest.mark.parametrize("origin", ["app.example", "https://app.example/path", "null", "ftp://x"])
def test_allowed_origins_must_be_origins(memory_store: MemorySessionStore, origin: str) -> None:
    with pytest.raises(ConfigurationError, match="allowed_origins"):
        session_app(memory_store, allowed_origins=[origin])
