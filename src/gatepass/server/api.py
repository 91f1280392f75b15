"""The JSON API: tokens, refresh, logout, the current user, the public keys, health.

The shapes are the reference server contract in ``DESIGN.md``; other programs test
against them exactly.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, StrictStr
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from gatepass._http import NO_STORE  # RFC 6749 §5.1
from gatepass.authenticator.responses import Halt
from gatepass.errors import (
    AuthenticationError,
    EmailNotVerifiedError,
    InvalidCredentialsError,
    RateLimitedError,
    RevokedTokenError,
    TokenError,
)
from gatepass.passwords import verify_credentials
from gatepass.security.ratelimit import address_key
from gatepass.server.account import device_summary
from gatepass.server.account_flows import refuse_unverified
from gatepass.server.errors import ErrorBody, responses
from gatepass.server.keyring import JWKS_MAX_AGE
from gatepass.server.mfa_login import mfa_required
from gatepass.server.routing import FastRoute
from gatepass.server.state import REFRESH_LIMIT, ServerState, client_address, state_of
from gatepass.tokens.service import TokenPair
from gatepass.users import User

router = APIRouter()
# Documents the Bearer scheme in the OpenAPI schema; the guard does the checking.
bearer = HTTPBearer(auto_error=False, description="An access token from POST /auth/token.")
JWKS_CACHE = f"public, max-age={int(JWKS_MAX_AGE.total_seconds())}"
BAD_CREDENTIALS = "Incorrect email or password."


class TokenRequest(BaseModel):
    """``POST /auth/token``."""

    model_config = ConfigDict(extra="forbid")
    email: StrictStr = Field(max_length=320)
    password: StrictStr = Field(max_length=1024)


class RefreshRequest(BaseModel):
    """``POST /auth/refresh``."""

    model_config = ConfigDict(extra="forbid")
    refresh_token: StrictStr = Field(max_length=512)


class TokenResponse(BaseModel):
    """A token pair (RFC 6749 §5.1)."""

    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"]
    expires_in: int


class UserBody(BaseModel):
    """The user, as ``GET /api/me`` shows it."""

    id: str
    email: str
    display_name: str | None
    created_at: datetime
    is_active: bool
    email_verified: bool


class JWK(BaseModel):
    """One public key (RFC 7517)."""

    model_config = ConfigDict(extra="allow")
    kty: str
    kid: str
    alg: str
    use: str


class JWKSBody(BaseModel):
    """The public key set (RFC 7517 §5)."""

    keys: list[JWK]


class LiveBody(BaseModel):
    """``GET /healthz``: the process is up."""

    status: Literal["ok"]


class ReadyBody(BaseModel):
    """``GET /readyz`` when every store answers."""

    status: Literal["ok"]
    checks: dict[str, str]


class ReadyErrorBody(ErrorBody):
    """``GET /readyz`` when a store is down (503)."""

    checks: dict[str, str]


_LIVE = b'{"status":"ok"}'
_NO_STORE_ONLY = {"Cache-Control": "no-store"}


# The fast path's refusal, handed to the full route that renders it.
_FAST_DENIAL = "gatepass.api_denied"


def _pair(pair: TokenPair) -> JSONResponse:
    return JSONResponse(pair.to_dict(), headers=NO_STORE)


async def api_user(request: Request) -> User:
    """The user of a Bearer access token; 401 with ``WWW-Authenticate: Bearer`` otherwise."""
    denied = request.scope.pop(_FAST_DENIAL, None)
    if denied is not None:  # decided on the fast path of GET /api/me: answered, not redone
        raise Halt(denied.response, denied.message)
    state = state_of(request)
    state.keyring.refresh()
    user: User = await state.api_guard(request)
    return user


@router.post(
    "/auth/token",
    response_model=TokenResponse,
    responses=responses(400, 401, 411, 413, 422, 429, 503),
    summary="Exchange email and password for a token pair",
)
async def issue_token(request: Request, body: TokenRequest) -> Response:
    """Check the credentials and start a refresh family."""
    state = state_of(request)
    address = client_address(request)
    try:
        await state.throttle.check(account=body.email, address=address)
    except RateLimitedError:
        state.security.event(
            "login.throttled", account=state.account_hash(body.email), address=address
        )
        raise
    user = await verify_credentials(state.backends.users, state.hasher, body.email, body.password)
    if user is None:
        await state.throttle.failed(account=body.email, address=address)
        state.security.event(
            "login.failure", channel="api", account=state.account_hash(body.email), address=address
        )
        # The same answer for an unknown email and a wrong password (OWASP ASVS 2.2).
        raise InvalidCredentialsError(BAD_CREDENTIALS)
    await state.throttle.succeeded(account=body.email, address=address)
    refusal = await refuse_unverified(state, user)
    if refusal is not None:
        raise EmailNotVerifiedError(refusal)
    # With a second factor: 401 mfa_required and an mfa_token, no pair (mfa_api.verify).
    if challenge := await mfa_required(request, user):
        return challenge
    state.keyring.refresh()
    # Recorded so the user can tell this login apart in their list (OWASP ASVS 5.0 7.5.2).
    device = device_summary(request.headers.get("user-agent", ""))
    pair = await state.tokens.issue(user.id, device=device, address=address)
    state.security.event("login.success", channel="api", user_id=user.id, address=address)
    return _pair(pair)


@router.post(
    "/auth/refresh",
    response_model=TokenResponse,
    responses=responses(400, 401, 411, 413, 422, 429, 503),
    summary="Rotate a refresh token for a new pair",
)
async def refresh_token(request: Request, body: RefreshRequest) -> Response:
    """Spend the refresh token; a reused one revokes its whole family (RFC 9700 §4.14.2)."""
    state = state_of(request)
    address = client_address(request)
    try:
        await state.limiter.hit(REFRESH_LIMIT, address_key(address))
    except RateLimitedError:
        state.security.event("refresh.throttled", address=address)
        raise
    state.keyring.refresh()
    try:
        pair = await state.tokens.refresh(body.refresh_token)
    except RevokedTokenError:
        state.security.event("refresh.reuse", address=address)
        raise
    user = await state.backends.users.find_by_id(str(pair.claims["sub"]))
    if user is None or not user.is_active:
        await state.tokens.revoke_refresh_token(pair.refresh_token)
        raise TokenError("The account of this token is disabled.")
    state.security.event("token.refreshed", user_id=user.id, address=address)
    return _pair(pair)


@router.post(
    "/auth/logout",
    status_code=204,
    responses=responses(401, 503),
    summary="Revoke this access token and its refresh family",
)
async def api_logout(
    request: Request,
    user: Annotated[User, Depends(api_user)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Response:
    """Revoke the presented access token and every token of its login."""
    state = state_of(request)
    if credentials is None:  # the guard read a Bearer token, so this is not expected
        raise AuthenticationError(challenges=['Bearer realm="gatepass"'])
    await state.tokens.logout(credentials.credentials)
    state.security.event("logout", channel="api", user_id=user.id)
    return Response(status_code=204, headers=NO_STORE)


@router.get(
    "/api/me",
    response_model=UserBody,
    responses=responses(401, 503),
    dependencies=[Depends(bearer)],
    summary="The user of the access token",
)
async def me(user: Annotated[User, Depends(api_user)]) -> Response:
    """The account the Bearer token belongs to."""
    return Response(_user_json(user), media_type="application/json", headers=NO_STORE)


def _user_json(user: User) -> bytes:
    # One body for the FastAPI route and the fast path: the same model, the same JSON.
    body = UserBody(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        created_at=user.created_at,
        is_active=user.is_active,
        email_verified=user.email_verified,
    )
    return body.model_dump_json().encode()


def fast_routes(state: ServerState) -> dict[tuple[str, str], FastRoute]:
    """Pure-ASGI handlers of the hottest routes (see ``routing.py``).

    ``GET /api/me`` answers a valid token here; every refusal or failure goes to the
    FastAPI route, which renders it. ``GET /healthz`` asks nothing.

    Args:
        state: the server state.

    Returns:
        ``{(method, path): handler}``.
    """
    guard, keyring = state.api_guard, state.keyring
    # The encoded body per user: users are frozen values, so equal means same answer.
    bodies: dict[User, bytes] = {}

    async def me_fast(scope: Scope, receive: Receive, send: Send) -> bool:
        keyring.refresh()
        try:
            user, denied = await guard.check(Request(scope, receive))
        except Exception:  # a failing store: the full route answers (503), alike
            return False
        if denied is not None:
            scope[_FAST_DENIAL] = denied
            return False
        if not isinstance(user, User):
            return False
        body = bodies.get(user)
        if body is None:
            if len(bodies) >= _BODY_CACHE_SIZE:
                bodies.clear()
            body = bodies[user] = _user_json(user)
        await _send_json(send, 200, body, _ME_HEADERS)
        return True

    async def healthz_fast(scope: Scope, receive: Receive, send: Send) -> bool:
        await _send_json(send, 200, _LIVE, _LIVE_HEADERS)
        return True

    return {("GET", "/api/me"): me_fast, ("GET", "/healthz"): healthz_fast}


async def _send_json(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-length", str(len(body)).encode()), *headers],
        }
    )
    await send({"type": "http.response.body", "body": body})


_BODY_CACHE_SIZE = 4096
_ME_HEADERS = [
    (b"content-type", b"application/json"),
    *((name.lower().encode(), value.encode()) for name, value in NO_STORE.items()),
]
_LIVE_HEADERS = [(b"content-type", b"application/json"), (b"cache-control", b"no-store")]


@router.get("/.well-known/jwks.json", response_model=JWKSBody, summary="Public signing keys")
async def jwks(request: Request) -> Response:
    """Every key a token of this server may be signed with; public parts only."""
    keyring = state_of(request).keyring
    keyring.refresh()
    return JSONResponse(keyring.keyset.to_jwks(), headers={"Cache-Control": JWKS_CACHE})


@router.get("/healthz", response_model=LiveBody, summary="Whether the process is up")
async def healthz() -> Response:
    """Liveness: the process answers. No store is asked (that is ``/readyz``)."""
    return Response(_LIVE, media_type="application/json", headers=_NO_STORE_ONLY)


@router.get(
    "/readyz",
    response_model=ReadyBody,
    responses={503: {"model": ReadyErrorBody}},
    summary="Whether every store answers",
)
async def readyz(request: Request) -> Response:
    """200 when every store answers, 503 naming the one that does not."""
    checks = await state_of(request).backends.check()
    down = sorted(name for name, status in checks.items() if status != "ok")
    if down:
        body = {
            "error": "store_unavailable",
            "message": f"Not reachable: {', '.join(down)}.",
            "checks": checks,
        }
        return JSONResponse(body, 503, _NO_STORE_ONLY)
    return JSONResponse({"status": "ok", "checks": checks}, headers=_NO_STORE_ONLY)
