"""The JSON API of the mailed account flows (``DESIGN.md``, "Email flows").

Register, verify and resend, change the address, forgot / reset the password, sign
in by a mailed link or code. The answers for unknown addresses are the same as for
known ones; bad links and codes are 400 ``invalid_token``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, StrictStr, model_validator
from starlette.responses import JSONResponse, Response

from gatepass._http import NO_STORE
from gatepass.server import account_flows as flows
from gatepass.server import email_login, password_reset
from gatepass.server.account import device_summary
from gatepass.server.api import TokenResponse, api_user, bearer
from gatepass.server.errors import responses
from gatepass.server.mfa_login import mfa_required
from gatepass.server.state import client_address, state_of
from gatepass.users import User

router = APIRouter()

# The body of every "a mail may be on its way" answer: the same for unknown addresses.
ACCEPTED = {"status": "accepted", "message": "If the address has an account, a mail is on its way."}
# JSON-only paths without ambient credentials: CSRF does not apply (see app.CSRF_EXEMPT).
PATHS = (
    "/auth/register",
    "/auth/email/verify",
    "/auth/email/verify/resend",
    "/auth/email/change",
    "/auth/password/forgot",
    "/auth/password/reset",
    "/auth/login/email",
    "/auth/login/email/verify",
)
_Email = Annotated[StrictStr, Field(max_length=320)]
_Password = Annotated[StrictStr, Field(max_length=1024)]
_Token = Annotated[StrictStr, Field(min_length=1, max_length=512)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterRequest(_Body):
    """``POST /auth/register``."""

    email: _Email
    password: _Password


class RegisteredBody(BaseModel):
    """The new account."""

    id: str
    email: str
    email_verified: bool


class TokenBody(_Body):
    """A mailed link's ``token``."""

    token: _Token


class EmailBody(_Body):
    """An address that may receive a mail."""

    email: _Email


class ResetRequest(_Body):
    """``POST /auth/password/reset``."""

    token: _Token
    password: _Password


class ChangeEmailRequest(_Body):
    """``POST /auth/email/change``."""

    new_email: _Email
    password: _Password


class EmailLoginRequest(_Body):
    """``POST /auth/login/email/verify``: ``{token}`` or ``{email, code}``."""

    token: _Token | None = None
    email: _Email | None = None
    code: Annotated[StrictStr, Field(max_length=16)] | None = None

    @model_validator(mode="after")
    def _one_way(self) -> EmailLoginRequest:
        by_code = self.email is not None and self.code is not None
        if (self.token is None) == (not by_code):
            raise ValueError("send either token, or email and code")
        return self


class AcceptedBody(BaseModel):
    """A mail may be on its way."""

    status: str
    message: str


def _accepted() -> JSONResponse:
    return JSONResponse(ACCEPTED, 202, headers=NO_STORE)


def _no_content() -> Response:
    return Response(status_code=204, headers=NO_STORE)


@router.post(
    "/auth/register",
    status_code=201,
    response_model=RegisteredBody,
    responses=responses(400, 403, 409, 411, 413, 422, 429, 503),
    summary="Create an account and mail its verification link",
)
async def register(request: Request, body: RegisterRequest) -> Response:
    """Create the account; it can sign in at once unless verified email is required."""
    state = state_of(request)
    user = await flows.register(state, body.email, body.password, address=client_address(request))
    created = RegisteredBody(id=user.id, email=user.email, email_verified=user.email_verified)
    return JSONResponse(created.model_dump(), 201, headers=NO_STORE)


@router.post(
    "/auth/email/verify",
    status_code=204,
    responses=responses(400, 409, 411, 413, 422, 429, 503),
    summary="Spend a verification or address-change link",
)
async def verify_email(request: Request, body: TokenBody) -> Response:
    """Mark the address verified, or move the account to its new address."""
    await flows.verify_email(state_of(request), body.token, address=client_address(request))
    return _no_content()


@router.post(
    "/auth/email/verify/resend",
    status_code=202,
    response_model=AcceptedBody,
    responses=responses(400, 401, 411, 413, 422, 429, 503),
    dependencies=[Depends(bearer)],
    summary="Mail a new verification link",
)
async def resend_verification(
    request: Request, user: Annotated[User, Depends(api_user)]
) -> Response:
    """Nothing is sent when the address is verified already."""
    await flows.resend_verification(state_of(request), user, address=client_address(request))
    return _accepted()


@router.post(
    "/auth/email/change",
    status_code=202,
    response_model=AcceptedBody,
    responses=responses(400, 401, 409, 411, 413, 422, 429, 503),
    dependencies=[Depends(bearer)],
    summary="Ask to move the account to a new address",
)
async def change_email(
    request: Request, body: ChangeEmailRequest, user: Annotated[User, Depends(api_user)]
) -> Response:
    """Mail a link to the new address and a notice to the current one."""
    state = state_of(request)
    await flows.request_email_change(
        state, user, body.new_email, body.password, address=client_address(request)
    )
    return _accepted()


@router.post(
    "/auth/password/forgot",
    status_code=202,
    response_model=AcceptedBody,
    responses=responses(400, 411, 413, 422, 429, 503),
    summary="Mail a password reset link",
)
async def forgot_password(request: Request, body: EmailBody) -> Response:
    """The same answer, in the same time, whether the address has an account or not."""
    await password_reset.forgot_password(
        state_of(request), body.email, address=client_address(request)
    )
    return _accepted()


@router.post(
    "/auth/password/reset",
    status_code=204,
    responses=responses(400, 411, 413, 422, 429, 503),
    summary="Set a new password with a reset link",
)
async def reset_password(request: Request, body: ResetRequest) -> Response:
    """Single use; every session and refresh family of the user ends."""
    state = state_of(request)
    await password_reset.reset_password(
        state, body.token, body.password, address=client_address(request)
    )
    return _no_content()


@router.post(
    "/auth/login/email",
    status_code=202,
    response_model=AcceptedBody,
    responses=responses(400, 411, 413, 422, 429, 503),
    summary="Mail a sign-in link and code",
)
async def start_email_login(request: Request, body: EmailBody) -> Response:
    """The same answer whether the address has an account or not."""
    await email_login.start_email_login(
        state_of(request), body.email, address=client_address(request)
    )
    return _accepted()


@router.post(
    "/auth/login/email/verify",
    response_model=TokenResponse,
    responses=responses(400, 403, 411, 413, 422, 429, 503),
    summary="Exchange a mailed link or code for a token pair",
)
async def finish_email_login(request: Request, body: EmailLoginRequest) -> Response:
    """A token pair, like ``POST /auth/token``."""
    state = state_of(request)
    user = await email_login.finish_email_login(
        state,
        address=client_address(request),
        token=body.token,
        email=body.email,
        code=body.code,
    )
    # The mailbox is one factor: an account with a second one still owes it.
    if challenge := await mfa_required(request, user, channel="email"):
        return challenge
    state.keyring.refresh()
    device = device_summary(request.headers.get("user-agent", ""))
    pair = await state.tokens.issue(user.id, device=device, address=client_address(request))
    return JSONResponse(pair.to_dict(), headers=NO_STORE)
