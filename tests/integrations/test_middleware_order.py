"""AuthMiddleware and the session middleware in either order, as a Starlette user adds them.

Express adds ``session`` before ``passport.session()``; Starlette runs middleware in the
reverse order of ``add_middleware``, so the literal port puts the user restore outside
the session. That must fail loudly, never as a silent login loop.
"""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from authenticator.support import BY_ID, SECRET, User, check_password
from gatepass.authenticator import Authenticator
from gatepass.integrations import AuthMiddleware
from gatepass.sessions import MemorySessionStore, SessionMiddleware
from gatepass.strategies import LocalStrategy


def todo_app(*, express_order: bool) -> Starlette:
    """Passport's todos example: a login form and a page that greets the user."""
    auth = Authenticator()
    auth.use(LocalStrategy(check_password, username_field="email"))

    @auth.serializer
    def serialize(user: User) -> str:
        return user.id

    @auth.deserializer
    def deserialize(user_id: str) -> User | None:
        return BY_ID.get(user_id)

    async def home(request: Request) -> Response:
        if not request.user.is_authenticated:
            return PlainTextResponse("please log in", 401)
        return PlainTextResponse(f"todos of {request.user.email}")

    login = auth.authenticate("local", success_redirect="/", failure_redirect="/login")
    app = Starlette(routes=[Route("/", home), Route("/login", login, methods=["POST"])])
    store = MemorySessionStore()
    if express_order:
        app.add_middleware(SessionMiddleware, store=store, secret_keys=[SECRET], secure=False)
        app.add_middleware(AuthMiddleware, authenticator=auth)
    else:
        app.add_middleware(AuthMiddleware, authenticator=auth)
        app.add_middleware(SessionMiddleware, store=store, secret_keys=[SECRET], secure=False)
    return app


def client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")


async def test_session_added_after_auth_middleware_logs_in_and_greets_the_user() -> None:
    async with client(todo_app(express_order=False)) as c:
        assert (await c.get("/")).status_code == 401
        login = await c.post(
            "/login", data={"email": "alice@example.com", "password": "correct horse"}
        )
        assert (login.status_code, login.headers["location"]) == (303, "/")
        home = await c.get("/")
        assert (home.status_code, home.text) == (200, "todos of alice@example.com")


async def test_express_order_raises_naming_the_fix_instead_of_a_login_loop() -> None:
    async with client(todo_app(express_order=True)) as c:
        with pytest.raises(
            RuntimeError, match=r"app\.add_middleware\(AuthMiddleware, \.\.\.\) before"
        ):
            await c.get("/")
        with pytest.raises(RuntimeError, match="outside the session middleware"):
            await c.post("/login", data={"email": "alice@example.com", "password": "correct horse"})
