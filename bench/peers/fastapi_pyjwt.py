"""Peer: the benchmarked routes on FastAPI + PyJWT + argon2-cffi, written by hand.

The FastAPI tutorial's shape ("OAuth2 with Password, Bearer with JWT tokens"): an
``HTTPBearer`` dependency, a ``get_current_user`` dependency that decodes with
``algorithms=["HS256"]`` and checks audience and issuer, Pydantic models for the login
body and the user, Starlette's signed-cookie sessions for the session route, argon2-cffi
in a sync endpoint (FastAPI runs it in a worker thread). Serve with
``uvicorn --factory bench.peers.fastapi_pyjwt:create``.
"""

import secrets
import time
from typing import Annotated, Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from starlette.middleware.sessions import SessionMiddleware

from bench.apps import common


class LoginBody(BaseModel):
    """``POST /auth/token`` and ``POST /login``."""

    email: str
    password: str


class UserOut(BaseModel):
    """The user as the API shows it."""

    id: str
    email: str
    display_name: str | None


class TokenOut(BaseModel):
    """An access token (RFC 6749 §5.1)."""

    access_token: str
    token_type: str
    expires_in: int


def create() -> FastAPI:
    """Build the app (a uvicorn ``--factory``).

    Returns:
        The ASGI app.
    """
    hasher = PasswordHasher(
        time_cost=common.ARGON2_TIME_COST,
        memory_cost=common.ARGON2_MEMORY_KIB,
        parallelism=common.ARGON2_PARALLELISM,
    )
    user: dict[str, Any] = {
        "id": common.USER_ID,
        "email": common.EMAIL,
        "display_name": common.DISPLAY_NAME,
        "password_hash": hasher.hash(common.PASSWORD),
    }
    users_by_id = {common.USER_ID: user}
    users_by_email = {common.EMAIL: user}
    bearer = HTTPBearer(auto_error=False)
    unauthorized = HTTPException(
        status_code=401,
        detail="Authentication is required.",
        headers={"WWW-Authenticate": 'Bearer realm="bench"'},
    )

    def get_current_user(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> dict[str, Any]:
        if credentials is None:
            raise unauthorized
        try:
            claims = jwt.decode(
                credentials.credentials,
                common.SECRET,
                algorithms=["HS256"],
                audience=common.AUDIENCE,
                issuer=common.ISSUER,
                options={"require": ["exp", "iat", "sub"]},
            )
        except jwt.InvalidTokenError as exc:
            raise unauthorized from exc
        found = users_by_id.get(claims["sub"])
        if found is None:
            raise unauthorized
        return found

    def session_user(request: Request) -> dict[str, Any]:
        found = users_by_id.get(request.session.get("user_id", ""))
        if found is None:
            raise HTTPException(status_code=401, detail="Authentication is required.")
        return found

    def check_password(body: LoginBody) -> dict[str, Any]:
        found = users_by_email.get(body.email.lower())
        if found is None:
            raise HTTPException(status_code=401, detail="Incorrect email or password.")
        try:
            hasher.verify(found["password_hash"], body.password)
        except VerificationError as exc:
            raise HTTPException(status_code=401, detail="Incorrect email or password.") from exc
        return found

    app = FastAPI()

    @app.get("/open")
    async def open_route() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/api/me", response_model=UserOut)
    async def api_me(current: Annotated[dict[str, Any], Depends(get_current_user)]) -> Any:
        return current

    @app.get("/session/me", response_model=UserOut)
    async def session_me(current: Annotated[dict[str, Any], Depends(session_user)]) -> Any:
        return current

    @app.post("/login", status_code=204)
    def login(request: Request, body: LoginBody) -> Response:
        found = check_password(body)
        request.session.clear()
        request.session["user_id"] = found["id"]
        return Response(status_code=204)

    @app.post("/auth/token", response_model=TokenOut)
    def issue_token(body: LoginBody, response: Response) -> Any:
        found = check_password(body)
        now = int(time.time())
        claims = {
            "sub": found["id"],
            "aud": common.AUDIENCE,
            "iss": common.ISSUER,
            "iat": now,
            "exp": now + common.ACCESS_TTL_SECONDS,
            "jti": secrets.token_urlsafe(16),
        }
        response.headers["Cache-Control"] = "no-store"
        token = jwt.encode(claims, common.SECRET, algorithm="HS256")
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": common.ACCESS_TTL_SECONDS,
        }

    app.add_middleware(SessionMiddleware, secret_key=common.SESSION_KEY, https_only=False)
    return app
