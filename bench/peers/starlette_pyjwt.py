"""Peer: the benchmarked routes on Starlette + PyJWT + argon2-cffi, written by hand.

What a Python user writes today without gatepass: read the bearer header, decode with
``algorithms=["HS256"]``, the audience and issuer checked and ``exp``/``iat``/``sub``
required; Starlette's signed-cookie ``SessionMiddleware`` for the session route; the
password checked by argon2-cffi in a worker thread. Serve with
``uvicorn --factory bench.peers.starlette_pyjwt:create``.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bench.apps import common

UNAUTHORIZED = {"error": "unauthenticated", "message": "Authentication is required."}
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="bench"'}


def create() -> Starlette:
    """Build the app (a uvicorn ``--factory``).

    Returns:
        The ASGI app.
    """
    hasher = PasswordHasher(
        time_cost=common.ARGON2_TIME_COST,
        memory_cost=common.ARGON2_MEMORY_KIB,
        parallelism=common.ARGON2_PARALLELISM,
    )
    user = {
        "id": common.USER_ID,
        "email": common.EMAIL,
        "display_name": common.DISPLAY_NAME,
        "password_hash": hasher.hash(common.PASSWORD),
    }
    users_by_id = {common.USER_ID: user}
    users_by_email = {common.EMAIL: user}

    def public(found: dict[str, Any]) -> dict[str, Any]:
        return {key: found[key] for key in ("id", "email", "display_name")}

    async def check_password(request: Request) -> dict[str, Any] | None:
        body = await request.json()
        found = users_by_email.get(str(body.get("email", "")).lower())
        if found is None:
            return None
        try:
            await run_in_threadpool(hasher.verify, found["password_hash"], body.get("password"))
        except VerificationError:
            return None
        return found

    async def open_route(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def api_me(request: Request) -> Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return JSONResponse(UNAUTHORIZED, 401, CHALLENGE)
        try:
            claims = jwt.decode(
                token,
                common.SECRET,
                algorithms=["HS256"],
                audience=common.AUDIENCE,
                issuer=common.ISSUER,
                options={"require": ["exp", "iat", "sub"]},
            )
        except jwt.InvalidTokenError:
            return JSONResponse(UNAUTHORIZED, 401, CHALLENGE)
        found = users_by_id.get(claims["sub"])
        if found is None:
            return JSONResponse(UNAUTHORIZED, 401, CHALLENGE)
        return JSONResponse(public(found))

    async def session_me(request: Request) -> Response:
        found = users_by_id.get(request.session.get("user_id", ""))
        if found is None:
            return JSONResponse(UNAUTHORIZED, 401)
        return JSONResponse(public(found))

    async def login(request: Request) -> Response:
        found = await check_password(request)
        if found is None:
            return JSONResponse(UNAUTHORIZED, 401)
        request.session.clear()
        request.session["user_id"] = found["id"]
        return Response(status_code=204)

    async def issue_token(request: Request) -> Response:
        found = await check_password(request)
        if found is None:
            return JSONResponse(UNAUTHORIZED, 401)
        now = int(time.time())
        claims = {
            "sub": found["id"],
            "aud": common.AUDIENCE,
            "iss": common.ISSUER,
            "iat": now,
            "exp": now + common.ACCESS_TTL_SECONDS,
            "jti": secrets.token_urlsafe(16),
        }
        token = jwt.encode(claims, common.SECRET, algorithm="HS256")
        body = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": common.ACCESS_TTL_SECONDS,
        }
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    app = Starlette(
        routes=[
            Route("/open", open_route),
            Route("/api/me", api_me),
            Route("/session/me", session_me),
            Route("/login", login, methods=["POST"]),
            Route("/auth/token", issue_token, methods=["POST"]),
        ]
    )
    app.add_middleware(SessionMiddleware, secret_key=common.SESSION_KEY, https_only=False)
    return app
