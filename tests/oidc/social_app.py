"""The app under test: gatepass sessions, an Authenticator, social strategies, user stores."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gatepass.authenticator import Authenticator
from gatepass.integrations import AuthMiddleware
from gatepass.sessions import MemorySessionStore, SessionMiddleware, get_flashed_messages
from gatepass.strategies import ProviderProfile, Strategy
from gatepass.users import User, UserStore
from gatepass.users.identities import IdentityStore, link_or_create

SECRET = "social-login-test-secret-0123456789abcdef"
PENDING_PREFIX = "_gatepass_oauth."


def make_verify(users: UserStore, identities: IdentityStore) -> Any:
    """The app's verify callback: the library's linking policy."""

    async def verify(profile: ProviderProfile) -> User:
        return await link_or_create(users, identities, profile)

    return verify


def build_app(auth: Authenticator, strategies: Sequence[Strategy], users: UserStore) -> Starlette:
    """A small app wired the way the reference server wires social login.

    ``/auth/{provider}`` and its callback redirect to ``/dashboard`` or to ``/login``
    with a flash; ``/bare/{provider}`` answers failures as JSON. ``/_test/pending``
    reads and tampers with the pending login kept in the session.
    """
    for strategy in strategies:
        auth.use(strategy)

    @auth.serializer
    def serialize(user: User) -> str:
        return user.id

    @auth.deserializer
    async def deserialize(user_id: str) -> User | None:
        return await users.find_by_id(user_id)

    async def sign_in(request: Request) -> Response:
        return await auth.authenticate(
            request,
            request.path_params["provider"],
            success_redirect="/dashboard",
            failure_redirect="/login",
            failure_flash=True,
        )

    async def bare(request: Request) -> Response:
        return await auth.authenticate(request, request.path_params["provider"])

    async def dashboard(request: Request) -> Response:
        user = await auth.user(request)
        if user is None:
            return JSONResponse({"error": "unauthenticated"}, 401)
        return JSONResponse({"id": user.id, "email": user.email, "name": user.display_name})

    async def login_page(request: Request) -> Response:
        return JSONResponse({"flash": [m.text for m in get_flashed_messages(request, "error")]})

    async def pending(request: Request) -> Response:
        key = PENDING_PREFIX + request.path_params["provider"]
        if request.method == "POST":
            entry = dict(request.session[key])
            entry.update(dict(request.query_params))
            request.session[key] = entry
        return JSONResponse(request.session.get(key))

    routes = [
        Route("/auth/{provider}", sign_in),
        Route("/auth/{provider}/callback", sign_in),
        Route("/bare/{provider}", bare),
        Route("/bare/{provider}/callback", bare),
        Route("/dashboard", dashboard),
        Route("/login", login_page),
        Route("/_test/pending/{provider}", pending, methods=["GET", "POST"]),
    ]
    middleware = [
        Middleware(
            SessionMiddleware, store=MemorySessionStore(), secret_keys=[SECRET], secure=False
        ),
        Middleware(AuthMiddleware, authenticator=auth),
    ]
    return Starlette(routes=routes, middleware=middleware)
