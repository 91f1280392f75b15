"""The JSON second-factor endpoints: set up, confirm and remove TOTP; verify a login.

With TOTP on, ``POST /auth/token`` answers 401 ``mfa_required`` with an ``mfa_token``
(``mfa_login.mfa_required``, called by the token route); ``POST /auth/mfa/verify``
spends it with a code for the token pair. No token pair is issued without the factor.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, StrictStr
from starlette.responses import JSONResponse, Response

from gatepass._http import NO_STORE
from gatepass.errors import InvalidMFACodeError, RateLimitedError
from gatepass.server.api import api_user, bearer
from gatepass.server.errors import responses
from gatepass.server.mfa_state import mfa_of
from gatepass.server.state import client_address, state_of
from gatepass.users import User

router = APIRouter()
# Bearer or body-token endpoints: no cookie is read, so no CSRF token is needed.
CSRF_EXEMPT = (
    "/auth/mfa/totp/setup",
    "/auth/mfa/totp/confirm",
    "/auth/mfa/totp",
    "/auth/mfa/verify",
)
BearerUser = Annotated[User, Depends(api_user)]
SPENT = "This sign-in has expired or was already used. Sign in with your password again."


class CodeRequest(BaseModel):
    """A code from the authenticator app (or, where allowed, a recovery code)."""

    model_config = ConfigDict(extra="forbid")
    code: StrictStr = Field(max_length=64)


class VerifyRequest(CodeRequest):
    """``POST /auth/mfa/verify``."""

    mfa_token: StrictStr = Field(max_length=256)


class SetupBody(BaseModel):
    """A new TOTP secret; shown once."""

    secret: str
    otpauth_uri: str


class RecoveryCodesBody(BaseModel):
    """The recovery codes; shown once, stored hashed."""

    recovery_codes: list[str]


@router.post(
    "/auth/mfa/totp/setup",
    response_model=SetupBody,
    responses=responses(401, 409, 411, 413, 503),
    dependencies=[Depends(bearer)],
    summary="Start TOTP setup: a new secret and its otpauth:// URI",
)
async def totp_setup(request: Request, user: BearerUser) -> Response:
    """Make a secret; TOTP is on only after ``/auth/mfa/totp/confirm``."""
    setup = await mfa_of(request).factor.begin(user.id, account=user.email)
    state_of(request).security.event("mfa.setup_started", user_id=user.id)
    body = SetupBody(secret=setup.secret, otpauth_uri=setup.otpauth_uri)
    return JSONResponse(body.model_dump(), headers=NO_STORE)


@router.post(
    "/auth/mfa/totp/confirm",
    response_model=RecoveryCodesBody,
    responses=responses(400, 401, 409, 411, 413, 422, 429, 503),
    dependencies=[Depends(bearer)],
    summary="Turn TOTP on with a first code; get 10 recovery codes",
)
async def totp_confirm(request: Request, body: CodeRequest, user: BearerUser) -> Response:
    """Check the first code; answer the recovery codes once."""
    state = state_of(request)
    try:
        codes = await mfa_of(request).factor.confirm(user.id, body.code)
    except InvalidMFACodeError:
        state.security.event("mfa.failed", step="confirm", user_id=user.id)
        raise
    state.security.event("mfa.enabled", method="totp", user_id=user.id)
    return JSONResponse({"recovery_codes": codes}, headers=NO_STORE)


@router.delete(
    "/auth/mfa/totp",
    status_code=204,
    responses=responses(400, 401, 409, 411, 413, 422, 429, 503),
    dependencies=[Depends(bearer)],
    summary="Turn TOTP off, proved by a current code",
)
async def totp_disable(request: Request, body: CodeRequest, user: BearerUser) -> Response:
    """Remove the factor and its recovery codes."""
    state = state_of(request)
    try:
        await mfa_of(request).factor.disable(user.id, body.code)
    except InvalidMFACodeError:
        state.security.event("mfa.failed", step="disable", user_id=user.id)
        raise
    state.security.event("mfa.disabled", method="totp", user_id=user.id)
    return Response(status_code=204, headers=NO_STORE)


@router.post(
    "/auth/mfa/verify",
    response_model=None,
    responses=responses(400, 401, 411, 413, 422, 429, 503),
    summary="Spend an mfa_token with a code for the token pair",
)
async def verify(request: Request, body: VerifyRequest) -> Response:
    """The second step of ``POST /auth/token``."""
    state, mfa = state_of(request), mfa_of(request)
    address = client_address(request)
    pending = await mfa.challenges.take(body.mfa_token)
    if pending is None:
        state.security.event("mfa.failed", step="verify", reason="token", address=address)
        raise InvalidMFACodeError(SPENT)
    user = await state.backends.users.find_by_id(pending.user_id)
    if user is None or not user.is_active or not pending.bound_to(user.password_hash or ""):
        raise InvalidMFACodeError(SPENT)
    try:
        method = await mfa.factor.verify(user.id, body.code)
    except (InvalidMFACodeError, RateLimitedError) as exc:
        # A wrong code keeps the token for a few more tries; the throttle counts each.
        await pending.put_back()
        reason = "throttled" if isinstance(exc, RateLimitedError) else "code"
        state.security.event(
            "mfa.failed", step="verify", reason=reason, user_id=user.id, address=address
        )
        raise
    state.keyring.refresh()
    pair = await state.tokens.issue(user.id)
    state.security.event("mfa.verified", method=method, user_id=user.id, address=address)
    state.security.event("login.success", channel="api", user_id=user.id, address=address)
    return JSONResponse(pair.to_dict(), headers=NO_STORE)
