"""An anonymous visitor's CSRF secret and flash messages live in a signed cookie, not the store.

Finding 9 of the server attack: every cookieless ``GET /login`` wrote a session row.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gatepass import CSRFMiddleware
from gatepass.security.csrf import csrf_token
from gatepass.sessions import MemorySessionStore, SessionMiddleware
from sessions.session_helpers import KEY, FakeClock, client_for, session_app

COOKIE = "gatepass_session"


async def _form(request: Request) -> Response:
    return JSONResponse({"csrf": csrf_token(request)})


async def _submit(request: Request) -> Response:
    return JSONResponse({"ok": True})


def form_app(store: MemorySessionStore, **options: Any) -> SessionMiddleware:
    app = Starlette(routes=[Route("/form", _form), Route("/submit", _submit, methods=["POST"])])
    app.add_middleware(CSRFMiddleware)
    return SessionMiddleware(app, store=store, secret_keys=[KEY], **options)


async def test_cookieless_visits_that_mint_a_csrf_token_store_nothing() -> None:
    store = MemorySessionStore()
    async with client_for(form_app(store)) as client:
        for _ in range(50):
            client.cookies.clear()
            assert (await client.get("/form")).status_code == 200
    assert len(store) == 0


async def test_the_csrf_token_from_the_cookie_is_accepted_and_a_forged_one_refused() -> None:
    store = MemorySessionStore()
    async with client_for(form_app(store)) as client:
        token = (await client.get("/form")).json()["csrf"]
        accepted = await client.post("/submit", data={"csrf_token": token})
        assert accepted.status_code == 200
        refused = await client.post("/submit", data={"csrf_token": "x" + token[1:]})
        assert refused.status_code == 403
        assert refused.json()["error"] == "csrf_failed"
    assert len(store) == 0


async def test_a_tampered_anonymous_cookie_gives_an_empty_session() -> None:
    async with client_for(form_app(MemorySessionStore())) as client:
        token = (await client.get("/form")).json()["csrf"]
        value = client.cookies[COOKIE]
        client.cookies.set(COOKIE, value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
        refused = await client.post("/submit", data={"csrf_token": token})
        assert refused.status_code == 403


async def test_flash_messages_of_anonymous_visitors_survive_a_redirect_without_a_row() -> None:
    store = MemorySessionStore()
    async with client_for(session_app(store)) as client:
        await client.post("/flash", params={"text": "Incorrect email or password."})
        assert (await client.get("/messages")).json() == [["info", "Incorrect email or password."]]
        assert (await client.get("/messages")).json() == []
    assert len(store) == 0


async def test_login_moves_the_session_into_the_store_under_a_new_id() -> None:
    store = MemorySessionStore()
    async with client_for(session_app(store)) as client:
        await client.post("/flash")
        anonymous_value = client.cookies[COOKIE]
        await client.post("/login", params={"user": "alice"})
        shown = (await client.get("/show")).json()
        assert shown["id"] is not None
        assert client.cookies[COOKIE] != anonymous_value
    assert len(store) == 1


async def test_any_other_key_stores_the_session_as_before() -> None:
    store = MemorySessionStore()
    async with client_for(session_app(store)) as client:
        await client.post("/set", params={"cart": "3 apples"})
        assert (await client.get("/show")).json()["data"] == {"cart": "3 apples"}
    assert len(store) == 1


async def test_an_anonymous_cookie_expires_after_the_idle_timeout() -> None:
    clock = FakeClock()
    store = MemorySessionStore(clock=clock)
    app = session_app(store, clock=clock, idle_timeout=timedelta(minutes=30))
    async with client_for(app) as client:
        await client.post("/flash", params={"text": "kept"})
        clock.advance(timedelta(minutes=31))
        assert (await client.get("/messages")).json() == []


async def test_anonymous_keys_empty_stores_every_session() -> None:
    store = MemorySessionStore()
    async with client_for(session_app(store, anonymous_keys=())) as client:
        await client.post("/flash")
    assert len(store) == 1


async def test_an_unchanged_anonymous_session_sends_no_new_cookie() -> None:
    async with client_for(form_app(MemorySessionStore())) as client:
        await client.get("/form")
        again = await client.post(
            "/submit", data={"csrf_token": (await client.get("/form")).json()["csrf"]}
        )
        assert "set-cookie" not in again.headers
