"""The JSON API of one's own account: list and end logins, log out everywhere, new password.

``GET /api/me/logins`` and ``DELETE /api/me/logins/{id}`` list and end browser sessions
and API logins (refresh families); ``POST /auth/logout-everywhere`` ends all of them;
``POST /auth/password/change`` takes a Bearer token or a session (with its CSRF header).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, StrictStr
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response

from gatepass._http import NO_STORE
from gatepass.errors import AuthenticationError
from gatepass.server.account import change_password, device_summary, end_other_logins
from gatepass.server.api import api_user, bearer
from gatepass.server.errors import responses
from gatepass.server.state import state_of
from gatepass.tokens.revocation import FAMILY_CLAIM
from gatepass.users import User

router = APIRouter()
ApiUser = Annotated[User, Depends(api_user)]


class SessionBody(BaseModel):
    """One browser session; ``id`` is its public handle, never the session id."""

    id: str
    created_at: datetime
    last_seen: datetime
    device: str


class TokenLoginBody(BaseModel):
    """One API login (a refresh family); never a token."""

    id: str
    client_id: str | None
    created_at: datetime
    last_used: datetime
    device: str | None
    address: str | None
    current: bool


class LoginsBody(BaseModel):
    """``GET /api/me/logins``."""

    sessions: list[SessionBody]
    tokens: list[TokenLoginBody]


class PasswordChangeRequest(BaseModel):
    """``POST /auth/password/change``."""

    model_config = ConfigDict(extra="forbid")
    password: StrictStr = Field(max_length=1024)
    new_password: StrictStr = Field(max_length=1024)


def _when(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _family(request: Request) -> str | None:
    claims: dict[str, Any] = getattr(request.auth, "claims", None) or {}
    family = claims.get(FAMILY_CLAIM)
    return family if isinstance(family, str) else None


@router.get(
    "/api/me/logins",
    response_model=LoginsBody,
    responses=responses(401, 503),
    dependencies=[Depends(bearer)],
    summary="The browser sessions and API logins of the token's user",
)
async def list_logins(request: Request, user: ApiUser) -> Response:
    """Every live login of the user; ``current`` marks the one of this token."""
    state = state_of(request)
    sessions = await state.backends.sessions.list_user_sessions(user.id)
    here = _family(request)
    body = LoginsBody(
        sessions=[
            SessionBody(
                id=item.handle,
                created_at=item.created_at,
                last_seen=item.last_seen,
                device=device_summary(item.user_agent),
            )
            for item in sessions
        ],
        tokens=[
            TokenLoginBody(
                id=family.family_id,
                client_id=family.client_id,
                created_at=_when(family.issued_at),
                last_used=_when(family.last_used),
                device=family.device,
                address=family.address,
                current=family.family_id == here,
            )
            for family in await state.tokens.families(user.id)
        ],
    )
    return JSONResponse(body.model_dump(mode="json"), headers=NO_STORE)


@router.delete(
    "/api/me/logins/{login_id}",
    status_code=204,
    responses=responses(401, 403, 404, 422, 503),
    dependencies=[Depends(bearer)],
    summary="End one browser session or API login of the token's user",
)
async def end_login(request: Request, login_id: str, user: ApiUser) -> Response:
    """End the login named by an ``id`` of ``GET /api/me/logins``; 404 when not the user's."""
    state = state_of(request)
    # Only ids listed for this user are looked for, so no one ends another's login
    # by guessing (OWASP ASVS 5.0 8.2.2, CWE-639).
    if await state.tokens.end_family(user.id, login_id):
        state.security.event("token_login.revoked", user_id=user.id)
        return Response(status_code=204, headers=NO_STORE)
    for item in await state.backends.sessions.list_user_sessions(user.id):
        if item.handle == login_id:
            await state.backends.sessions.delete(item.session_id)
            state.security.event("session.revoked", user_id=user.id)
            return Response(status_code=204, headers=NO_STORE)
    raise HTTPException(404, "No such login of this account; it may have ended already.")


@router.post(
    "/auth/logout-everywhere",
    status_code=204,
    responses=responses(401, 503),
    dependencies=[Depends(bearer)],
    summary="End every browser session and API login of the token's user",
)
async def logout_everywhere(request: Request, user: ApiUser) -> Response:
    """End every login of the user, this token's own included."""
    await end_other_logins(request, user, keep_session=False)
    return Response(status_code=204, headers=NO_STORE)


async def _bearer_or_session_user(request: Request) -> tuple[User, bool]:
    if request.headers.get("authorization"):
        return await api_user(request), True
    user: User | None = await state_of(request).auth.user(request)
    if user is None:
        realm = state_of(request).settings.site_name
        raise AuthenticationError(challenges=[f'Bearer realm="{realm}"'])
    return user, False


@router.post(
    "/auth/password/change",
    status_code=204,
    responses=responses(400, 401, 403, 422, 429, 503),
    dependencies=[Depends(bearer)],
    summary="Change the password; every other login ends",
)
async def password_change(request: Request, body: PasswordChangeRequest) -> Response:
    """Check the current password, set the new one, end the other logins, mail a notice.

    A Bearer caller's own API login ends too (sign in again with the new password); a
    browser caller keeps its session.
    """
    user, by_token = await _bearer_or_session_user(request)
    await change_password(
        request,
        user,
        password=body.password,
        new_password=body.new_password,
        keep_session=not by_token,
    )
    return Response(status_code=204, headers=NO_STORE)
