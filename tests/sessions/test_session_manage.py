""" "Your active sessions": list them, log out one, log out all others, through real HTTP."""

from __future__ import annotations

from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

import gatepass.sessions as sessions
from gatepass.sessions import (
    MemorySessionStore,
    SessionMiddleware,
    current_handle,
    end_other_sessions,
    end_session,
    list_sessions,
)
from sessions.session_helpers import KEY, client_for


async def _login(request: Request) -> Response:
    session: Any = request.session
    session.regenerate()
    session.user_id = request.query_params["user"]
    return JSONResponse({"handle": current_handle(request)})


async def _list(request: Request) -> Response:
    mine = current_handle(request)
    return JSONResponse(
        [
            {"handle": s.handle, "agent": s.user_agent, "current": s.handle == mine}
            for s in await list_sessions(request)
        ]
    )


async def _end_others(request: Request) -> Response:
    return JSONResponse({"ended": await end_other_sessions(request)})


async def _end_one(request: Request) -> Response:
    return JSONResponse({"ended": await end_session(request, request.query_params["handle"])})


def _app(store: MemorySessionStore) -> SessionMiddleware:
    routes = [
        Route("/login", _login, methods=["POST"]),
        Route("/sessions", _list),
        Route("/sessions/others", _end_others, methods=["POST"]),
        Route("/sessions/end", _end_one, methods=["POST"]),
    ]
    return SessionMiddleware(Starlette(routes=routes), store=store, secret_keys=[KEY])


async def _login_as(client: httpx.AsyncClient, user: str, agent: str) -> str:
    response = await client.post("/login", params={"user": user}, headers={"user-agent": agent})
    assert response.json()["handle"] is None  # the new id is minted when the response starts
    listed = (await client.get("/sessions")).json()
    handle: str = next(s["handle"] for s in listed if s["current"])
    return handle


async def test_list_shows_the_users_sessions_and_marks_the_current_one(
    memory_store: MemorySessionStore,
) -> None:
    app = _app(memory_store)
    async with client_for(app) as laptop, client_for(app) as phone, client_for(app) as bob:
        await _login_as(laptop, "alice", "Laptop")
        await _login_as(phone, "alice", "Phone")
        await _login_as(bob, "bob", "Bob's")
        listed = (await laptop.get("/sessions")).json()
    assert sorted(s["agent"] for s in listed) == ["Laptop", "Phone"]
    assert [s["agent"] for s in listed if s["current"]] == ["Laptop"]


async def test_log_out_all_others_keeps_only_this_session(
    memory_store: MemorySessionStore,
) -> None:
    app = _app(memory_store)
    async with client_for(app) as laptop, client_for(app) as phone, client_for(app) as bob:
        await _login_as(laptop, "alice", "Laptop")
        await _login_as(phone, "alice", "Phone")
        await _login_as(bob, "bob", "Bob's")
        assert (await laptop.post("/sessions/others")).json() == {"ended": 1}
        assert [s["agent"] for s in (await laptop.get("/sessions")).json()] == ["Laptop"]
        assert (await phone.get("/sessions")).json() == []
        assert len((await bob.get("/sessions")).json()) == 1


async def test_log_out_one_session_by_handle_only_reaches_own_sessions(
    memory_store: MemorySessionStore,
) -> None:
    app = _app(memory_store)
    async with client_for(app) as laptop, client_for(app) as phone, client_for(app) as bob:
        await _login_as(laptop, "alice", "Laptop")
        phone_handle = await _login_as(phone, "alice", "Phone")
        bob_handle = await _login_as(bob, "bob", "Bob's")
        ended = await laptop.post("/sessions/end", params={"handle": bob_handle})
        assert ended.json() == {"ended": False}
        assert len((await bob.get("/sessions")).json()) == 1
        ended = await laptop.post("/sessions/end", params={"handle": phone_handle})
        assert ended.json() == {"ended": True}
        assert (await phone.get("/sessions")).json() == []


def test_public_names_are_exported() -> None:
    for name in sessions.__all__:
        assert getattr(sessions, name) is not None
    assert {"SessionMiddleware", "MemorySessionStore", "Session", "flash"} <= set(sessions.__all__)
    assert sessions.SQLiteSessionStore.__name__ == "SQLiteSessionStore"
    assert sessions.RedisSessionStore.__name__ == "RedisSessionStore"
