"""AuthMiddleware, install_error_handlers and authenticate() as a FastAPI dependency."""

# No "from __future__ import annotations": FastAPI reads route annotations that name
# dependencies local to api_app().

import logging
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp

from authenticator.support import ALICE, BY_ID, SECRET, User, websocket_session
from gatepass.authenticator import Authenticator
from gatepass.errors import PermissionDeniedError, StoreUnavailableError
from gatepass.integrations import AuthMiddleware, install_error_handlers
from gatepass.sessions import MemorySessionStore, SessionMiddleware
from gatepass.strategies import CustomStrategy, Fail, JWTStrategy, Success
from gatepass.testing import FrozenClock, login_as, mint_token
from gatepass.tokens import Key

KEY = Key.generate("HS256", kid="k")


def client(app: ASGIApp, *, raise_app_exceptions: bool = True) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
def auth() -> Authenticator:
    auth = Authenticator()
    auth.serializer(lambda user: user.id)
    auth.deserializer(lambda user_id: BY_ID.get(user_id))
    return auth


def session_app(auth: Authenticator, routes: list[Any]) -> Starlette:
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(
                SessionMiddleware, store=MemorySessionStore(), secret_keys=[SECRET], secure=False
            ),
            Middleware(AuthMiddleware, authenticator=auth),
        ],
    )


async def whoami(request: Request) -> Response:
    user = request.user
    return PlainTextResponse(user.display_name if user.is_authenticated else "anonymous")


async def test_middleware_puts_session_user_on_every_request(auth: Authenticator) -> None:
    async with client(session_app(auth, [Route("/", whoami)])) as c:
        assert (await c.get("/")).text == "anonymous"
        await login_as(c, ALICE, auth=auth)
        assert (await c.get("/")).text == "alice@example.com"


async def test_middleware_without_session_leaves_requests_anonymous(auth: Authenticator) -> None:
    app = Starlette(
        routes=[Route("/", whoami)], middleware=[Middleware(AuthMiddleware, authenticator=auth)]
    )
    async with client(app) as c:
        assert (await c.get("/")).text == "anonymous"


def flaky_auth(failure: list[Exception]) -> Authenticator:
    """An Authenticator whose user store raises ``failure[0]`` once it is set."""
    auth = Authenticator()
    auth.serializer(lambda user: user.id)

    @auth.deserializer
    def load(user_id: str) -> User | None:
        if failure:
            raise failure[0]
        return BY_ID.get(user_id)

    return auth


async def test_failing_user_store_fails_closed_with_503() -> None:
    failure: list[Exception] = []
    auth = flaky_auth(failure)
    async with client(session_app(auth, [Route("/", whoami)])) as c:
        await login_as(c, ALICE, auth=auth)
        failure.append(StoreUnavailableError())
        response = await c.get("/")
        assert response.status_code == 503
        assert response.json()["error"] == "store_unavailable"


async def test_bug_in_deserializer_is_generic_500_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    failure: list[Exception] = []
    auth = flaky_auth(failure)
    async with client(session_app(auth, [Route("/", whoami)])) as c:
        await login_as(c, ALICE, auth=auth)
        failure.append(ZeroDivisionError("division by zero"))
        with caplog.at_level(logging.ERROR, logger="gatepass.authenticator"):
            response = await c.get("/")
    assert response.status_code == 500
    assert "division" not in response.text
    assert any("ZeroDivisionError" in r.getMessage() for r in caplog.records)


async def test_websocket_with_failing_store_is_closed_1011() -> None:
    async def ws(websocket: Any) -> None:
        await websocket.accept()

    auth = flaky_auth([StoreUnavailableError()])
    app = Starlette(
        routes=[WebSocketRoute("/ws", ws)],
        middleware=[Middleware(AuthMiddleware, authenticator=auth)],
    )
    # Without a session there is nothing to load, so the socket opens.
    sent = await websocket_session(app, "/ws")
    assert sent[0]["type"] == "websocket.accept"
    with_session = [{"type": "websocket.close", "code": 1011}]
    session = {"_gatepass_users": {"default": "u1"}}

    async def with_fake_session(scope: Any, receive: Any, send: Any) -> None:
        scope["session"] = session
        await app(scope, receive, send)

    assert [
        {"type": m["type"], "code": m.get("code")}
        for m in await websocket_session(with_fake_session, "/ws")
    ] == with_session


def api_app(auth: Authenticator, clock: FrozenClock, *, handlers: bool) -> FastAPI:
    auth.use(JWTStrategy(KEY, audience="api", clock=clock))
    app = FastAPI()
    if handlers:
        install_error_handlers(app)
    bearer_user = auth.authenticate("jwt", session=False)

    @app.get("/api/me")
    async def me(request: Request, user: Annotated[Any, Depends(bearer_user)]) -> dict[str, Any]:
        return {"sub": user["sub"], "scopes": list(request.auth.scopes)}

    @app.get("/forbidden")
    async def forbidden() -> None:
        raise PermissionDeniedError()

    @app.get("/bug")
    async def bug() -> None:
        raise RuntimeError("internal detail 42")

    return app


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


async def test_authenticate_as_fastapi_dependency_returns_the_user(
    auth: Authenticator, clock: FrozenClock
) -> None:
    token = mint_token(KEY, subject="u1", audience="api", scopes=["read"], clock=clock)
    async with client(api_app(auth, clock, handlers=True)) as c:
        response = await c.get("/api/me", headers={"authorization": f"Bearer {token}"})
    assert response.json() == {"sub": "u1", "scopes": ["authenticated", "read"]}


async def test_authenticate_dependency_failure_is_exact_json_with_handlers(
    auth: Authenticator, clock: FrozenClock
) -> None:
    async with client(api_app(auth, clock, handlers=True)) as c:
        response = await c.get("/api/me")
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_credentials",
        "message": "A bearer token is required.",
    }
    assert response.headers["www-authenticate"] == 'Bearer realm="api"'


async def test_authenticate_dependency_failure_keeps_status_and_challenge_without_handlers(
    auth: Authenticator, clock: FrozenClock
) -> None:
    async with client(api_app(auth, clock, handlers=False)) as c:
        response = await c.get("/api/me", headers={"authorization": "Bearer x.y.z"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith(
        'Bearer realm="api", error="invalid_token"'
    )


async def test_installed_handlers_map_gatepass_errors_and_hide_bugs(
    auth: Authenticator, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    app = api_app(auth, clock, handlers=True)
    async with client(app, raise_app_exceptions=False) as c:
        forbidden = await c.get("/forbidden")
        with caplog.at_level(logging.ERROR, logger="gatepass.authenticator"):
            bug = await c.get("/bug")
    assert (forbidden.status_code, forbidden.json()["error"]) == (403, "forbidden")
    assert bug.status_code == 500
    assert bug.json() == {"error": "internal_error", "message": "An internal error occurred."}
    assert "42" not in bug.text
    assert any("internal detail 42" in r.getMessage() for r in caplog.records)


async def test_authenticate_as_fastapi_endpoint_answers_without_error_handlers() -> None:
    auth = Authenticator()
    auth.use(
        CustomStrategy(
            lambda r: Success("u") if r.query_params.get("ok") else Fail('X realm="x"'),
            name="c",
        )
    )
    app = FastAPI()
    app.post("/x")(auth.authenticate("c", session=False))
    async with client(app) as c:
        assert (await c.post("/x", params={"ok": "1"})).status_code == 204
        refused = await c.post("/x")
    assert refused.status_code == 401
    assert refused.json() == {"error": "invalid_credentials", "message": "Invalid credentials."}
    assert refused.headers["www-authenticate"] == 'X realm="x"'
