"""SessionMiddleware through real in-process HTTP: ids, intents, timeouts, tampering."""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import timedelta
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from gatepass.errors import ConfigurationError, DurationError
from gatepass.sessions import MemorySessionStore, SessionMiddleware, SessionStore
from gatepass.sessions.session import USER_ID_KEY
from gatepass.sessions.signing import CookieSigner
from sessions.session_helpers import KEY, OLD_KEY, FakeClock, client_for, session_app

COOKIE = "gatepass_session"


async def test_new_visitor_gets_no_cookie_until_the_session_holds_data(
    memory_store: MemorySessionStore,
) -> None:
    async with client_for(session_app(memory_store)) as client:
        response = await client.get("/show")
        assert "set-cookie" not in response.headers
        response = await client.post("/set", params={"colour": "blue"})
        assert COOKIE in response.cookies
        assert (await client.get("/show")).json()["data"] == {"colour": "blue"}


async def test_cookie_holds_only_a_signed_random_id(memory_store: MemorySessionStore) -> None:
    async with client_for(session_app(memory_store)) as client:
        await client.post("/set", params={"secret": "value"})
        cookie = client.cookies[COOKIE]
        assert "value" not in cookie
        session_id = CookieSigner([KEY]).unsign(cookie)
        assert session_id is not None
        assert len(session_id) >= 43  # 32 bytes of base64url: 256 bits
        record = await memory_store.load(session_id)
        assert record is not None
        assert record.data == {"secret": "value"}


async def test_regenerate_on_login_changes_the_id_and_kills_the_old_one(
    memory_store: MemorySessionStore,
) -> None:
    async with client_for(session_app(memory_store)) as client:
        await client.post("/set", params={"cart": "3 apples"})
        old_cookie = client.cookies[COOKIE]
        old_id = CookieSigner([KEY]).unsign(old_cookie)
        assert old_id is not None
        await client.post("/login", params={"user": "alice", "keep": "cart"})
        new_cookie = client.cookies[COOKIE]
        assert new_cookie != old_cookie
        assert await memory_store.load(old_id) is None
        shown = (await client.get("/show")).json()
        assert shown["data"] == {"cart": "3 apples", "_gatepass_uid": "alice"}

    async with client_for(session_app(memory_store)) as attacker:
        attacker.cookies.set(COOKIE, old_cookie, domain="localhost.local")
        assert (await attacker.get("/show")).json()["data"] == {}


async def test_regenerate_keeps_nothing_unless_asked(memory_store: MemorySessionStore) -> None:
    async with client_for(session_app(memory_store)) as client:
        await client.post("/set", params={"csrf": "pre-login-token"})
        await client.post("/login", params={"user": "alice"})
        assert (await client.get("/show")).json()["data"] == {"_gatepass_uid": "alice"}


async def test_tampered_cookie_gives_a_new_empty_session(
    memory_store: MemorySessionStore,
) -> None:
    async with client_for(session_app(memory_store)) as client:
        await client.post("/set", params={"role": "user"})
        cookie = client.cookies[COOKIE]
        session_id, _, signature = cookie.rpartition(".")
        client.cookies.set(COOKIE, f"{session_id}.{signature[:-2]}AA", domain="localhost.local")
        response = await client.get("/show")
        assert response.status_code == 200
        assert response.json() == {"data": {}, "id": None}


async def test_unknown_but_validly_signed_id_is_not_adopted(
    memory_store: MemorySessionStore,
) -> None:
    forged = CookieSigner([KEY]).sign("attacker-chosen-id")
    async with client_for(session_app(memory_store)) as client:
        client.cookies.set(COOKIE, forged, domain="localhost.local")
        await client.post("/set", params={"x": "1"})
        issued = CookieSigner([KEY]).unsign(client.cookies[COOKIE])
        assert issued is not None
        assert issued != "attacker-chosen-id"
        assert await memory_store.load("attacker-chosen-id") is None


async def test_a_cookie_header_seen_before_gets_the_same_answer(
    memory_store: MemorySessionStore,
) -> None:
    # Each distinct Cookie header is read once; its repeats must answer alike, a
    # forged one refused every time, a good one accepted every time.
    async with client_for(session_app(memory_store)) as client:
        await client.post("/set", params={"role": "user"})
        good = f"{COOKIE}={client.cookies[COOKIE]}".encode()
        session_id = client.cookies[COOKIE].rpartition(".")[0]
        forged = f"{COOKIE}={session_id}.{'A' * 43}".encode()
        for _ in range(3):
            shown = (await client.get("/show", headers={b"cookie": good})).json()
            assert shown["data"] == {"role": "user"}
            refused = (await client.get("/show", headers={b"cookie": forged})).json()
            assert refused == {"data": {}, "id": None}


async def test_the_memory_of_cookie_headers_is_bounded(memory_store: MemorySessionStore) -> None:
    from gatepass.sessions.middleware import PARSED_COOKIE_MAX_LENGTH, PARSED_COOKIES_SIZE

    app = session_app(memory_store)
    signer = CookieSigner([KEY])
    for number in range(PARSED_COOKIES_SIZE + 10):
        header = f"{COOKIE}={signer.sign(f'id{number}')}"
        assert app._session_cookie(header, COOKIE)[1] == f"id{number}"
    long_header = f"{COOKIE}={signer.sign('long')}; pad={'x' * PARSED_COOKIE_MAX_LENGTH}"
    assert app._session_cookie(long_header, COOKIE)[1] == "long"
    remembered = app._read[COOKIE]
    assert len(remembered) <= PARSED_COOKIES_SIZE
    assert long_header not in remembered
    assert app._session_cookie(f"{COOKIE}={signer.sign('id0')}", COOKIE)[1] == "id0"


@pytest.mark.parametrize("garbage", ["", ".", "no-dot", "a.b.c", "é.é", "x" * 5000])
async def test_malformed_cookie_is_never_an_error(
    memory_store: MemorySessionStore, garbage: str
) -> None:
    async with client_for(session_app(memory_store)) as client:
        cookie = f"{COOKIE}={garbage}".encode()
        response = await client.get("/show", headers={b"cookie": cookie})
        assert response.status_code == 200
        assert response.json()["data"] == {}


async def test_logout_deletes_server_side_and_expires_the_cookie(
    memory_store: MemorySessionStore,
) -> None:
    async with client_for(session_app(memory_store)) as client:
        await client.post("/login", params={"user": "alice"})
        session_id = CookieSigner([KEY]).unsign(client.cookies[COOKIE])
        assert session_id is not None
        response = await client.post("/logout")
        assert "Max-Age=0" in response.headers["set-cookie"]
        assert await memory_store.load(session_id) is None
        assert (await client.get("/show")).json()["data"] == {}


async def test_logout_everywhere_ends_every_session_of_the_user(
    memory_store: MemorySessionStore,
) -> None:
    app = session_app(memory_store)
    async with client_for(app) as laptop, client_for(app) as phone, client_for(app) as bob:
        await laptop.post("/login", params={"user": "alice"})
        await phone.post("/login", params={"user": "alice"})
        await bob.post("/login", params={"user": "bob"})
        assert len(await memory_store.list_user_sessions("alice")) == 2
        await laptop.post("/logout", params={"everywhere": "1"})
        assert await memory_store.list_user_sessions("alice") == []
        assert (await phone.get("/show")).json()["data"] == {}
        assert (await bob.get("/show")).json()["data"] == {"_gatepass_uid": "bob"}


async def test_idle_timeout_ends_an_unused_session(
    memory_store: MemorySessionStore, clock: FakeClock
) -> None:
    app = session_app(memory_store, clock=clock, idle_timeout=timedelta(minutes=30))
    async with client_for(app) as client:
        await client.post("/login")
        clock.advance(timedelta(minutes=29))
        assert (await client.get("/show")).json()["data"] != {}
        clock.advance(timedelta(minutes=29))  # touched 29 minutes ago: still alive
        assert (await client.get("/show")).json()["data"] != {}
        clock.advance(timedelta(minutes=31))
        assert (await client.get("/show")).json()["data"] == {}


async def test_absolute_lifetime_ends_even_an_active_session(
    memory_store: MemorySessionStore, clock: FakeClock
) -> None:
    app = session_app(
        memory_store,
        clock=clock,
        idle_timeout=timedelta(minutes=30),
        absolute_lifetime=timedelta(hours=2),
    )
    async with client_for(app) as client:
        await client.post("/login")
        for _ in range(7):
            clock.advance(timedelta(minutes=15))
            assert (await client.get("/show")).json()["data"] != {}
        clock.advance(timedelta(minutes=15))
        assert (await client.get("/show")).json()["data"] == {}


async def test_remember_me_sets_a_persistent_cookie_with_its_lifetime(
    memory_store: MemorySessionStore, clock: FakeClock
) -> None:
    app = session_app(memory_store, clock=clock, remember_lifetime=timedelta(days=14))
    async with client_for(app) as client:
        response = await client.post("/login", params={"remember": "1"})
        assert f"Max-Age={14 * 24 * 3600}" in response.headers["set-cookie"]
        clock.advance(timedelta(days=3))  # far past the idle timeout
        assert (await client.get("/show")).json()["data"] != {}
        clock.advance(timedelta(days=11))
        assert (await client.get("/show")).json()["data"] == {}


async def test_without_remember_me_the_cookie_is_a_browser_session_cookie(
    memory_store: MemorySessionStore,
) -> None:
    async with client_for(session_app(memory_store)) as client:
        response = await client.post("/login")
        assert "Max-Age" not in response.headers["set-cookie"]
        assert "Expires" not in response.headers["set-cookie"]


async def test_unchanged_session_is_not_saved_again_within_the_touch_interval(
    memory_store: MemorySessionStore, clock: FakeClock
) -> None:
    app = session_app(memory_store, clock=clock, touch_interval=timedelta(minutes=1))
    async with client_for(app) as client:
        await client.post("/login")
        session_id = CookieSigner([KEY]).unsign(client.cookies[COOKIE])
        assert session_id is not None
        before = await memory_store.load(session_id)
        clock.advance(timedelta(seconds=30))
        await client.get("/show")
        assert await memory_store.load(session_id) == before
        clock.advance(timedelta(seconds=31))
        await client.get("/show")
        after = await memory_store.load(session_id)
        assert after is not None
        assert before is not None
        assert after.last_seen > before.last_seen


async def test_signing_key_rotation_keeps_sessions_signed_by_the_old_key(
    memory_store: MemorySessionStore,
) -> None:
    async with client_for(session_app(memory_store, secret_keys=[OLD_KEY])) as client:
        await client.post("/login", params={"user": "alice"})
        old_cookie = client.cookies[COOKIE]
    rotated = session_app(memory_store, secret_keys=[OLD_KEY, KEY])
    async with client_for(rotated) as client:
        client.cookies.set(COOKIE, old_cookie, domain="localhost.local")
        assert (await client.get("/show")).json()["data"] == {"_gatepass_uid": "alice"}
        await client.post("/login", params={"user": "alice"})
        assert CookieSigner([KEY]).unsign(client.cookies[COOKIE]) is not None
    retired = session_app(memory_store, secret_keys=[KEY])
    async with client_for(retired) as client:
        client.cookies.set(COOKIE, old_cookie, domain="localhost.local")
        assert (await client.get("/show")).json()["data"] == {}


def test_short_or_missing_keys_fail_at_construction() -> None:
    store = MemorySessionStore()
    with pytest.raises(ConfigurationError, match="at least 32 bytes"):
        session_app(store, secret_keys=["short"])
    with pytest.raises(ConfigurationError, match="list of secret keys"):
        session_app(store, secret_keys=KEY)


def test_durations_accept_seconds_and_reject_nonsense() -> None:
    store = MemorySessionStore()
    app = session_app(store, idle_timeout=600)
    assert app.idle_timeout == timedelta(minutes=10)
    with pytest.raises(DurationError):
        session_app(store, idle_timeout=-5)
    with pytest.raises(DurationError):
        session_app(store, absolute_lifetime="12h")
    with pytest.raises(ConfigurationError, match="touch_interval"):
        session_app(store, idle_timeout=60, touch_interval=60)


async def test_websocket_sees_the_session_read_only(memory_store: MemorySessionStore) -> None:
    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json(dict(websocket.session))
        await websocket.close()

    async with client_for(session_app(memory_store)) as client:
        await client.post("/login", params={"user": "alice"})
        cookie = client.cookies[COOKIE]

    ws_app = SessionMiddleware(
        Starlette(routes=[WebSocketRoute("/ws", endpoint)]), store=memory_store, secret_keys=[KEY]
    )
    inbox: list[dict[str, Any]] = [{"type": "websocket.connect"}]
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return inbox.pop(0) if inbox else {"type": "websocket.disconnect", "code": 1000}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "websocket",
        "path": "/ws",
        "raw_path": b"/ws",
        "root_path": "",
        "scheme": "ws",
        "query_string": b"",
        "headers": [(b"host", b"localhost"), (b"cookie", f"{COOKIE}={cookie}".encode())],
        "server": ("localhost", 80),
        "client": ("127.0.0.1", 5000),
        "subprotocols": [],
    }
    await ws_app(scope, receive, send)
    assert [m["type"] for m in sent] == ["websocket.accept", "websocket.send", "websocket.close"]
    assert sent[1]["text"] == '{"_gatepass_uid":"alice"}'


async def test_response_start_without_a_headers_key_still_gets_the_cookie(
    memory_store: MemorySessionStore,
) -> None:
    async def bare_app(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        scope["session"]["visited"] = True
        await send({"type": "http.response.start", "status": 204})
        await send({"type": "http.response.body", "body": b""})

    app = SessionMiddleware(bare_app, store=memory_store, secret_keys=[KEY])
    async with client_for(app) as client:
        response = await client.get("/")
    assert response.status_code == 204
    assert response.headers["set-cookie"].startswith(f"{COOKIE}=")


async def test_a_request_in_flight_during_logout_cannot_revive_the_session(
    memory_store: MemorySessionStore,
) -> None:
    async def slow_writer(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        # Loaded before the logout below; writes after it.
        await memory_store.delete_user_sessions("alice")
        scope["session"]["late"] = "write"
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async with client_for(session_app(memory_store)) as client:
        await client.post("/login", params={"user": "alice"})
        cookie = client.cookies[COOKIE]
    session_id = CookieSigner([KEY]).unsign(cookie)
    assert session_id is not None
    app = SessionMiddleware(slow_writer, store=memory_store, secret_keys=[KEY])
    async with client_for(app) as client:
        client.cookies.set(COOKIE, cookie, domain="localhost.local")
        response = await client.get("/")
    assert "Max-Age=0" in response.headers["set-cookie"]
    assert await memory_store.load(session_id) is None


async def test_a_request_that_writes_cannot_revive_a_session_ended_while_it_ran(
    store: SessionStore,
) -> None:
    async def login(request: Request) -> Response:
        session: Any = request.session
        session.regenerate()
        session.user_id = "alice"
        return JSONResponse({"ok": True})

    async def bump(request: Request) -> Response:
        request.session["n"] = int(request.session.get("n", 0)) + 1
        # "Log out everywhere" lands from another request while this one runs.
        await store.delete_user_sessions("alice")
        return JSONResponse({"ok": True})

    async def show(request: Request) -> Response:
        return JSONResponse({"user": request.session.get(USER_ID_KEY)})

    routes = [Route("/login", login, methods=["POST"]), Route("/bump", bump), Route("/show", show)]
    app = SessionMiddleware(Starlette(routes=routes), store=store, secret_keys=[KEY])
    async with client_for(app) as client:
        await client.post("/login")
        cookie = client.cookies.get("gatepass_session")
        assert (await client.get("/show")).json() == {"user": "alice"}
        ended = await client.get("/bump")
        assert "Max-Age=0" in ended.headers["set-cookie"]  # the browser drops it too
        client.cookies.set("gatepass_session", str(cookie))  # a thief keeps the old one
        assert (await client.get("/show")).json() == {"user": None}
    assert await store.list_user_sessions("alice") == []
