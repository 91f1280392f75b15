"""gatepass's benchmarked routes, built from the library the way its docs show.

A Starlette app behind gatepass's ``SessionMiddleware`` (every route pays for it, as
in a real app): ``GET /open`` (no authentication), ``GET /api/me`` (bearer JWT through
``JWTStrategy`` and the ``TokenService`` verifier with its ``VerifiedTokenCache`` and
revocation check), ``GET /session/me`` (the session user), ``POST /login`` (session
login, used to get a cookie) and ``POST /auth/token`` (argon2id check, then a token
pair with a refresh family), the same JSON shapes as the reference server.

Serve it with ``uvicorn --factory bench.apps.gatepass_app:create``; the session store is
memory, Redis, or Redis behind the local cache as ``GATEPASS_BENCH_STORE`` says.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bench.apps import common
from gatepass.authenticator import Authenticator, error_response
from gatepass.errors import GatepassError, InvalidCredentialsError, MissingCredentialsError
from gatepass.passwords import Argon2Parameters, PasswordHasher, verify_credentials
from gatepass.sessions import MemorySessionStore, SessionMiddleware, SessionStore
from gatepass.strategies import JWTStrategy, LocalStrategy
from gatepass.tokens import Key, VerifiedTokenCache
from gatepass.tokens.service import TokenService
from gatepass.tokens.stores import MemoryRefreshStore, MemoryRevocationStore
from gatepass.users import MemoryUserStore, User

NO_STORE = {"Cache-Control": "no-store"}  # RFC 6749 §5.1: token responses are not cached


def _body(request: Request) -> dict[str, Any]:
    user: User = request.user.user  # the guard put an AuthenticatedUser around it
    return {"id": user.id, "email": user.email, "display_name": user.display_name}


async def _error(request: Request, exc: Exception) -> Response:
    # {"error": code, "message": text} with the error's status; never a trace.
    return error_response(request, exc)


def _session_store(config: common.Config) -> SessionStore:
    if config.store in ("redis", "redis-cached"):
        from gatepass.sessions import CachedRedisSessionStore, RedisSessionStore

        if not config.redis_url:
            raise RuntimeError(f"{common.STORE_VARIABLE}=redis needs {common.REDIS_URL_VARIABLE}")
        shared = RedisSessionStore.from_url(config.redis_url, prefix="bench:session:")
        return CachedRedisSessionStore(shared) if config.store == "redis-cached" else shared
    return MemorySessionStore()


def bench_hasher() -> PasswordHasher:
    """The argon2id hasher with the costs every implementation uses.

    Returns:
        The hasher.
    """
    return PasswordHasher(
        Argon2Parameters(
            time_cost=common.ARGON2_TIME_COST,
            memory_cost=common.ARGON2_MEMORY_KIB,
            parallelism=common.ARGON2_PARALLELISM,
        )
    )


def create(*, hasher: PasswordHasher | None = None) -> Starlette:
    """Build the app (a uvicorn ``--factory``).

    Args:
        hasher: the password hasher; default :func:`bench_hasher`.

    Returns:
        The ASGI app; its lifespan creates the benchmark user.
    """
    config = common.Config.from_environment()
    users = MemoryUserStore(id_factory=lambda: common.USER_ID)
    hasher = hasher or bench_hasher()
    tokens = TokenService(
        keys=Key.from_secret(common.SECRET),
        issuer=common.ISSUER,
        audience=common.AUDIENCE,
        refresh_store=MemoryRefreshStore(),
        revocation_store=MemoryRevocationStore(),
        cache=VerifiedTokenCache(),
    )
    auth = Authenticator(realm="bench")
    auth.serializer(lambda user: user.id)
    auth.deserializer(users.find_by_id)

    async def check_password(email: str, password: str) -> User | None:
        return await verify_credentials(users, hasher, email, password)

    async def token_user(claims: dict[str, Any]) -> User | None:
        return await users.find_by_id(str(claims["sub"]))

    auth.use(LocalStrategy(check_password, username_field="email"))
    auth.use(JWTStrategy(tokens.verifier, verify=token_user, realm="bench"), name="api")

    async def open_route(request: Request) -> Response:
        return JSONResponse({"ok": True})

    @auth.require_user("api", login_url=None).protect
    async def api_me(request: Request) -> Response:
        return JSONResponse(_body(request))

    @auth.require_user(login_url=None).protect
    async def session_me(request: Request) -> Response:
        return JSONResponse(_body(request))

    async def issue_token(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError as exc:
            raise MissingCredentialsError("The body must be JSON.") from exc
        if not isinstance(body, dict):
            raise MissingCredentialsError("The body must be a JSON object.")
        user = await check_password(str(body.get("email", "")), str(body.get("password", "")))
        if user is None:
            raise InvalidCredentialsError("Incorrect email or password.")
        pair = await tokens.issue(user.id)
        return JSONResponse(pair.to_dict(), headers=NO_STORE)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await users.create(
            email=common.EMAIL,
            password_hash=await hasher.hash_async(common.PASSWORD),
            display_name=common.DISPLAY_NAME,
        )
        yield

    app = Starlette(
        routes=[
            Route("/open", open_route),
            Route("/api/me", api_me),
            Route("/session/me", session_me),
            Route("/login", auth.authenticate("local"), methods=["POST"]),
            Route("/auth/token", issue_token, methods=["POST"]),
        ],
        lifespan=lifespan,
        exception_handlers={GatepassError: _error},
    )
    app.add_middleware(
        SessionMiddleware,
        store=_session_store(config),
        secret_keys=[common.SESSION_KEY],
        secure=False,  # plain http on 127.0.0.1
    )
    return app
