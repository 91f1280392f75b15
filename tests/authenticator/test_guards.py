"""Guards: browser redirect with a safe ``next``, API 401, scopes 403, WebSocket 1008."""

# No "from __future__ import annotations": FastAPI reads the route annotations, which
# name aliases local to fastapi_app().

from collections.abc import Callable
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI, WebSocket
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp

from authenticator.conftest import MakeApp
from authenticator.support import ALICE, BOB, SECRET, User, websocket_session
from gatepass.authenticator import WS_POLICY_VIOLATION, Authenticator
from gatepass.integrations import AuthMiddleware, install_error_handlers
from gatepass.sessions import MemorySessionStore, SessionMiddleware
from gatepass.strategies import AnonymousStrategy, CustomStrategy, Fail, HTTPBasicStrategy, Success
from gatepass.testing import login_as

ClientFor = Callable[[ASGIApp], httpx.AsyncClient]
HTML = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
JSON = {"accept": "application/json"}


def token_strategy(auth: Authenticator) -> None:
    def check(request: Any) -> Any:
        header = request.headers.get("authorization", "")
        if not header:
            return Fail('Bearer realm="api"', message="A token is required.")
        if header == "Bearer alice":
            return Success(ALICE, scopes=("reports:write",), claims={"sub": "u1"})
        return Fail('Bearer realm="api", error="invalid_token"', message="Bad token.")

    auth.use(CustomStrategy(check, name="api"))


def starlette_app(make_app: MakeApp, auth: Authenticator) -> ASGIApp:
    guard = auth.require_user()

    @guard.protect
    async def dashboard(request: Request) -> Response:
        return PlainTextResponse(f"dashboard of {request.user.email}")

    @auth.require_scopes("admin").protect
    def admin(request: Request) -> Response:
        return PlainTextResponse("admin")

    return make_app(auth, [Route("/dashboard", dashboard), Route("/admin", admin)])


async def test_browser_is_sent_to_login_with_next_and_return_to_stored(
    make_app: MakeApp, auth: Authenticator, client_for: ClientFor
) -> None:
    client = client_for(starlette_app(make_app, auth))
    response = await client.get("/dashboard?tab=2", headers=HTML)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fdashboard%3Ftab%3D2"
    # The return-to survives login (passport#919) and brings the user back.
    login = auth.authenticate("local", success_return_to=True, success_redirect="/")
    app = client._transport.app  # type: ignore[attr-defined]
    app.router.routes.append(Route("/login", login, methods=["POST"]))
    form = {"email": ALICE.email, "password": ALICE.password}
    back = await client.post("/login", data=form)
    assert back.headers["location"] == "/dashboard?tab=2"
    assert (await client.get("/dashboard")).text == "dashboard of alice@example.com"


async def test_api_client_gets_401_json_with_www_authenticate(
    make_app: MakeApp, auth: Authenticator, client_for: ClientFor
) -> None:
    client = client_for(starlette_app(make_app, auth))
    response = await client.get("/dashboard", headers=JSON)
    assert response.status_code == 401
    assert response.json() == {
        "error": "unauthenticated",
        "message": "Authentication is required.",
    }
    assert response.headers["www-authenticate"] == 'Session realm="gatepass"'


async def test_logged_in_user_passes_and_sync_endpoint_runs(
    make_app: MakeApp, auth: Authenticator, client_for: ClientFor
) -> None:
    client = client_for(starlette_app(make_app, auth))
    await login_as(client, BOB, auth=auth)
    assert (await client.get("/dashboard")).text == "dashboard of bob@example.com"
    response = await client.get("/admin")
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"


def fastapi_app(auth: Authenticator) -> FastAPI:
    token_strategy(auth)
    auth.use(AnonymousStrategy())
    auth.use(HTTPBasicStrategy(lambda u, p: None, realm="api"))
    app = FastAPI()
    app.add_middleware(AuthMiddleware, authenticator=auth)
    app.add_middleware(
        SessionMiddleware, store=MemorySessionStore(), secret_keys=[SECRET], secure=False
    )
    install_error_handlers(app)
    UserDep = Annotated[User, Depends(auth.require_user("api", "basic", login_url=None))]
    Writer = Annotated[User, Depends(auth.require_scopes("reports:write", strategies=("api",)))]
    Maybe = Annotated[User | None, Depends(auth.require_user("api", "anonymous"))]
    Browser = Annotated[User, Depends(auth.require_user())]
    api_user = auth.require_user("api")

    @app.get("/api/me")
    async def me(user: UserDep, request: Request) -> dict[str, Any]:
        return {"id": user.id, "claims": dict(request.auth.claims)}

    @app.post("/api/reports")
    async def write(user: Writer) -> dict[str, str]:
        return {"by": user.id}

    @app.get("/api/maybe")
    async def maybe(user: Maybe) -> dict[str, Any]:
        return {"user": user.id if user else None}

    @app.get("/dashboard")
    async def dashboard(user: Browser) -> dict[str, str]:
        return {"email": user.email}

    @app.websocket("/ws")
    async def ws(websocket: WebSocket, user: Annotated[User, Depends(api_user)]) -> None:
        await websocket.accept()
        await websocket.send_text(f"hi {user.id}")
        await websocket.close()

    return app


async def test_fastapi_dependency_returns_user_and_puts_claims_on_request(
    auth: Authenticator, client_for: ClientFor
) -> None:
    client = client_for(fastapi_app(auth))
    response = await client.get("/api/me", headers={"authorization": "Bearer alice"})
    assert response.json() == {"id": "u1", "claims": {"sub": "u1"}}


async def test_fastapi_dependency_aggregates_challenges_of_every_strategy(
    auth: Authenticator, client_for: ClientFor
) -> None:
    client = client_for(fastapi_app(auth))
    response = await client.get("/api/me", headers={"authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.json()["error"] == "unauthenticated"
    assert response.headers["www-authenticate"] == (
        'Bearer realm="api", error="invalid_token", Basic realm="api", charset="UTF-8"'
    )


async def test_fastapi_require_scopes_gives_403_when_scope_missing(
    auth: Authenticator, client_for: ClientFor
) -> None:
    client = client_for(fastapi_app(auth))
    ok = await client.post("/api/reports", headers={"authorization": "Bearer alice"})
    assert ok.json() == {"by": "u1"}
    await login_as(client, BOB, auth=auth)
    refused = await client.post("/api/reports", headers={"authorization": "Bearer nope"})
    assert refused.status_code == 401


async def test_require_scopes_refuses_authenticated_user_without_the_scope(
    auth: Authenticator, client_for: ClientFor
) -> None:
    auth.use(CustomStrategy(lambda r: Success(BOB, scopes=("reports:read",)), name="api"))
    guard = auth.require_scopes("reports:write", strategies=("api",))

    @guard.protect
    async def endpoint(request: Request) -> Response:
        return PlainTextResponse("written")

    client = client_for(Starlette(routes=[Route("/w", endpoint)]))
    response = await client.get("/w")
    assert response.status_code == 403
    assert response.json() == {
        "error": "forbidden",
        "message": "You do not have permission to do this.",
    }


async def test_anonymous_strategy_makes_authentication_optional(
    auth: Authenticator, client_for: ClientFor
) -> None:
    client = client_for(fastapi_app(auth))
    assert (await client.get("/api/maybe")).json() == {"user": None}
    token = {"authorization": "Bearer alice"}
    assert (await client.get("/api/maybe", headers=token)).json() == {"user": "u1"}
    # A refused token falls through to anonymous too: the route sees nobody.
    bad = await client.get("/api/maybe", headers={"authorization": "Bearer nope"})
    assert bad.json() == {"user": None}


async def test_fastapi_browser_guard_redirects_with_next(
    auth: Authenticator, client_for: ClientFor
) -> None:
    client = client_for(fastapi_app(auth))
    response = await client.get("/dashboard", headers=HTML)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fdashboard"
    await login_as(client, ALICE, auth=auth)
    assert (await client.get("/dashboard")).json() == {"email": "alice@example.com"}


async def test_fastapi_websocket_without_credentials_is_closed_with_1008_before_accept(
    auth: Authenticator,
) -> None:
    app = fastapi_app(auth)
    refused = await websocket_session(app, "/ws")
    assert refused[0]["type"] == "websocket.close"
    assert refused[0]["code"] == WS_POLICY_VIOLATION
    accepted = await websocket_session(app, "/ws", {"authorization": "Bearer alice"})
    assert [m["type"] for m in accepted] == [
        "websocket.accept",
        "websocket.send",
        "websocket.close",
    ]
    assert accepted[1]["text"] == "hi u1"


async def test_starlette_websocket_decorator_closes_with_1008_before_accept(
    auth: Authenticator,
) -> None:
    token_strategy(auth)

    @auth.require_user("api").protect
    async def ws(websocket: Any) -> None:
        await websocket.accept()
        await websocket.send_text(f"hi {websocket.user.identity}")
        await websocket.close()

    app = Starlette(
        routes=[WebSocketRoute("/ws", ws)],
        middleware=[Middleware(AuthMiddleware, authenticator=auth, scopes=())],
    )
    refused = await websocket_session(app, "/ws")
    assert [(m["type"], m.get("code")) for m in refused] == [
        ("websocket.close", WS_POLICY_VIOLATION)
    ]
    accepted = await websocket_session(app, "/ws", {"authorization": "Bearer alice"})
    assert accepted[1]["text"] == "hi u1"


def test_protect_needs_a_request_or_websocket_parameter(auth: Authenticator) -> None:
    async def endpoint(conn: Request) -> Response:
        return Response()

    with pytest.raises(TypeError, match="'request' or 'websocket'"):
        auth.require_user().protect(endpoint)


async def test_guard_on_admin_scope_checks_that_scope_only(
    make_app: MakeApp, auth: Authenticator, client_for: ClientFor
) -> None:
    @auth.require_user(scope="admin", login_url="/admin/login").protect
    async def panel(request: Request) -> Response:
        admin = await auth.user(request, "admin")
        return PlainTextResponse(f"admin {admin.id}")

    client = client_for(make_app(auth, [Route("/panel", panel)]))
    await login_as(client, ALICE, auth=auth)
    response = await client.get("/panel", headers=HTML)
    assert response.headers["location"] == "/admin/login?next=%2Fpanel"
    await login_as(client, BOB, auth=auth, scope="admin")
    assert (await client.get("/panel")).text == "admin u2"


async def test_anonymous_fall_through_keeps_the_session_user_visible(
    make_app: MakeApp, auth: Authenticator, client_for: ClientFor
) -> None:
    token_strategy(auth)
    auth.use(AnonymousStrategy())

    @auth.require_user("api", "anonymous").protect
    async def page(request: Request) -> Response:
        return PlainTextResponse(request.user.identity if request.user.is_authenticated else "-")

    @auth.require_scopes("x", strategies=("api", "anonymous")).protect
    async def scoped(request: Request) -> Response:
        return PlainTextResponse("never")

    client = client_for(make_app(auth, [Route("/page", page), Route("/scoped", scoped)]))
    assert (await client.get("/page")).text == "-"
    await login_as(client, BOB, auth=auth)
    assert (await client.get("/page")).text == "u2"
    assert (await client.get("/scoped", headers=JSON)).status_code == 401
