"""``request.user`` and ``request.auth`` as Passport code reads ``req.user``, ``req.authInfo``."""

from __future__ import annotations

from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.authentication import UnauthenticatedUser
from starlette.middleware import Middleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from authenticator.support import BY_ID, SECRET, User, check_password
from gatepass.authenticator import Authenticator
from gatepass.integrations import AuthMiddleware
from gatepass.sessions import MemorySessionStore, SessionMiddleware
from gatepass.strategies import CustomStrategy, Fail, LocalStrategy, Success


def seed_auth() -> Authenticator:
    auth = Authenticator()

    def verify(email: str, password: str) -> tuple[User, dict[str, str]] | None:
        user = check_password(email, password)
        return None if user is None else (user, {"message": "Welcome back.", "method": "pw"})

    auth.use(LocalStrategy(verify, username_field="email"))
    auth.serializer(lambda user: user.id)
    auth.deserializer(lambda user_id: BY_ID.get(user_id))
    return auth


def app_with(auth: Authenticator, routes: list[Route]) -> Starlette:
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(
                SessionMiddleware, store=MemorySessionStore(), secret_keys=[SECRET], secure=False
            ),
            Middleware(AuthMiddleware, authenticator=auth),
        ],
    )


def client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")


async def test_if_not_request_user_sends_anonymous_visitors_to_login() -> None:
    auth = seed_auth()

    async def dashboard(request: Request) -> Response:
        # The literal port of Express's `if (!req.user) return res.redirect('/login')`.
        if not request.user:
            return RedirectResponse("/login", 303)
        return PlainTextResponse(f"Hello {request.user.email}")

    login = auth.authenticate("local", success_redirect="/dashboard")
    routes = [Route("/dashboard", dashboard), Route("/login", login, methods=["POST"])]
    async with client(app_with(auth, routes)) as c:
        anonymous = await c.get("/dashboard")
        assert (anonymous.status_code, anonymous.headers["location"]) == (303, "/login")
        await c.post("/login", data={"email": "alice@example.com", "password": "correct horse"})
        assert (await c.get("/dashboard")).text == "Hello alice@example.com"


async def test_anonymous_user_is_falsy_and_still_starlettes_unauthenticated_user() -> None:
    auth = seed_auth()
    seen: list[Any] = []

    async def page(request: Request) -> Response:
        seen.append(request.user)
        return PlainTextResponse("ok")

    async with client(app_with(auth, [Route("/", page)])) as c:
        await c.get("/")
    (user,) = seen
    assert not user
    assert isinstance(user, UnauthenticatedUser)
    assert (user.is_authenticated, user.display_name) == (False, "")


async def test_login_response_sees_the_strategys_info_on_request_auth() -> None:
    auth = seed_auth()

    async def login(request: Request) -> Response:
        response = await auth.authenticate(request, "local")
        if response.status_code != 204:
            return response
        # Passport's req.authInfo, on the request that authenticated.
        return JSONResponse({"info": dict(request.auth.info), "strategy": request.auth.strategy})

    async def later(request: Request) -> Response:
        return JSONResponse({"info": dict(request.auth.info), "user": request.user.email})

    routes = [Route("/login", login, methods=["POST"]), Route("/later", later)]
    async with client(app_with(auth, routes)) as c:
        response = await c.post(
            "/login", data={"email": "alice@example.com", "password": "correct horse"}
        )
        assert response.json() == {
            "info": {"message": "Welcome back.", "method": "pw"},
            "strategy": "local",
        }
        # Later requests restore the user from the session; the info was for that one.
        assert (await c.get("/later")).json() == {"info": {}, "user": "alice@example.com"}


async def test_api_guard_and_dependency_put_the_info_on_request_auth() -> None:
    auth = seed_auth()

    def api_key(request: HTTPConnection) -> Success | Fail:
        if request.headers.get("x-key") != "k1":
            return Fail("Key", message="A key is required.")
        return Success(BY_ID["u1"], {"key_name": "ci", "scope": "read"}, ("read",))

    auth.use(CustomStrategy(api_key, name="key"))
    guard = auth.require_user("key", login_url=None)

    @guard.protect
    async def guarded(request: Request) -> Response:
        credentials = request.auth
        return JSONResponse(
            {
                "info": dict(credentials.info),
                "scopes": credentials.scopes,
                "by": credentials.strategy,
            }
        )

    async def endpoint(request: Request) -> Response:
        response = await auth.authenticate(request, "key", session=False)
        return JSONResponse({"status": response.status_code, "info": dict(request.auth.info)})

    routes = [Route("/guarded", guarded), Route("/inline", endpoint)]
    async with client(app_with(auth, routes)) as c:
        assert (await c.get("/guarded", headers={"x-key": "k1"})).json() == {
            "info": {"key_name": "ci", "scope": "read"},
            "scopes": ["authenticated", "read"],
            "by": "key",
        }
        assert (await c.get("/inline", headers={"x-key": "k1"})).json() == {
            "status": 204,
            "info": {"key_name": "ci", "scope": "read"},
        }
