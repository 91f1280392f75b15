"""The JSON passkey endpoints: register a passkey (Bearer), sign in with one, list, remove.

Each ceremony starts with ``.../options``, which answers the WebAuthn options and a
``ceremony`` token; the WebAuthn challenge is derived from that token, which the store
keeps (hashed) for five minutes and the one answer spends, right or wrong: a challenge
cannot be replayed (W3C WebAuthn §13.4.3). A passkey sign-in is passwordless: the
credential is discoverable and verifies its user, so it yields the token pair itself.
"""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, StrictStr
from starlette.responses import JSONResponse, Response

from gatepass._http import NO_STORE
from gatepass.errors import PasskeyError
from gatepass.mfa.passkey_store import Passkey
from gatepass.security.ratelimit import address_key
from gatepass.server.api import api_user, bearer
from gatepass.server.errors import responses
from gatepass.server.mfa_state import MFAServer, mfa_of
from gatepass.server.state import SOCIAL_LIMIT, client_address, state_of
from gatepass.users import User

router = APIRouter()
BearerUser = Annotated[User, Depends(api_user)]
CSRF_EXEMPT = (
    "/auth/passkeys/register/options",
    "/auth/passkeys/register",
    "/auth/passkeys/login/options",
    "/auth/passkeys/login",
)
_CHALLENGE = "webauthn-challenge"


class OptionsBody(BaseModel):
    """WebAuthn options for the browser and the ceremony token to send back."""

    ceremony: str
    options: dict[str, Any]


class CeremonyRequest(BaseModel):
    """The browser's ``PublicKeyCredential`` (as JSON) and the ceremony token."""

    model_config = ConfigDict(extra="forbid")
    ceremony: StrictStr = Field(max_length=256)
    credential: dict[str, Any]


class RegisterRequest(CeremonyRequest):
    """``POST /auth/passkeys/register``."""

    name: StrictStr = Field(default="Passkey", max_length=100)


class PasskeyBody(BaseModel):
    """A passkey as its owner sees it."""

    id: str
    name: str
    created_at: str
    sign_count: int
    transports: list[str]
    backed_up: bool


class PasskeyListBody(BaseModel):
    """``GET /auth/passkeys``."""

    passkeys: list[PasskeyBody]


def _id(credential_id: bytes) -> str:
    return base64.urlsafe_b64encode(credential_id).rstrip(b"=").decode()


def _body(passkey: Passkey) -> dict[str, Any]:
    return PasskeyBody(
        id=_id(passkey.credential_id),
        name=passkey.name,
        created_at=passkey.created_at.isoformat(),
        sign_count=passkey.sign_count,
        transports=list(passkey.transports),
        backed_up=passkey.backed_up,
    ).model_dump()


def _options(options_json: str, token: str) -> Response:
    body = {"ceremony": token, "options": json.loads(options_json)}
    return JSONResponse(body, headers=NO_STORE)


async def _spend(mfa: MFAServer, token: str) -> tuple[str, bytes]:
    pending = await mfa.ceremonies.take(token)
    if pending is None:
        raise PasskeyError("This passkey request has expired or was already used; start again.")
    await pending.put_back()  # no-op at max_attempts=1: the ceremony is spent
    return pending.user_id, mfa.ceremonies.derived(token, _CHALLENGE)


@router.post(
    "/auth/passkeys/register/options",
    response_model=OptionsBody,
    responses=responses(401, 411, 413, 503),
    dependencies=[Depends(bearer)],
    summary="Start registering a passkey for this account",
)
async def register_options(request: Request, user: BearerUser) -> Response:
    """Options for ``navigator.credentials.create()``."""
    mfa = mfa_of(request)
    token = await mfa.ceremonies.issue(user.id)
    options = await mfa.passkeys.registration_options(
        user_id=user.id,
        user_name=user.email,
        display_name=user.display_name,
        challenge=mfa.ceremonies.derived(token, _CHALLENGE),
    )
    return _options(options.json, token)


@router.post(
    "/auth/passkeys/register",
    status_code=201,
    response_model=PasskeyBody,
    responses=responses(400, 401, 411, 413, 422, 503),
    dependencies=[Depends(bearer)],
    summary="Finish registering a passkey",
)
async def register(request: Request, body: RegisterRequest, user: BearerUser) -> Response:
    """Check the new credential and keep it."""
    mfa, state = mfa_of(request), state_of(request)
    subject, challenge = await _spend(mfa, body.ceremony)
    if subject != user.id:
        raise PasskeyError("This passkey request belongs to another sign-in; start again.")
    try:
        passkey = await mfa.passkeys.register(
            user_id=user.id, response=body.credential, challenge=challenge, name=body.name
        )
    except PasskeyError:
        state.security.event("passkey.failed", step="register", user_id=user.id)
        raise
    state.security.event("passkey.registered", user_id=user.id, aaguid=passkey.aaguid)
    return JSONResponse(_body(passkey), status_code=201, headers=NO_STORE)


@router.post(
    "/auth/passkeys/login/options",
    response_model=OptionsBody,
    responses=responses(411, 413, 429, 503),
    summary="Start a passwordless sign-in with a passkey",
)
async def login_options(request: Request) -> Response:
    """Options for ``navigator.credentials.get()`` (the authenticator picks the account)."""
    mfa, state = mfa_of(request), state_of(request)
    # Each start stores a ceremony: counted per address like provider sign-ins, so a
    # flood cannot fill the store (OWASP ASVS 2.2.1 anti-automation, CWE-770).
    await state.limiter.hit(SOCIAL_LIMIT, address_key(client_address(request)))
    token = await mfa.ceremonies.issue("")
    options = await mfa.passkeys.authentication_options(
        challenge=mfa.ceremonies.derived(token, _CHALLENGE)
    )
    return _options(options.json, token)


@router.post(
    "/auth/passkeys/login",
    responses=responses(400, 401, 411, 413, 422, 503),
    summary="Finish a passkey sign-in: the token pair",
)
async def login(request: Request, body: CeremonyRequest) -> Response:
    """Check the assertion; answer a token pair for its user."""
    mfa, state = mfa_of(request), state_of(request)
    address = client_address(request)
    _, challenge = await _spend(mfa, body.ceremony)
    try:
        passkey = await mfa.passkeys.authenticate(response=body.credential, challenge=challenge)
    except PasskeyError:
        state.security.event("passkey.failed", step="login", address=address)
        raise
    user = await state.backends.users.find_by_id(passkey.user_id)
    if user is None or not user.is_active:
        raise PasskeyError()
    state.keyring.refresh()
    pair = await state.tokens.issue(user.id)
    state.security.event("login.success", channel="passkey", user_id=user.id, address=address)
    return JSONResponse(pair.to_dict(), headers=NO_STORE)


@router.get(
    "/auth/passkeys",
    response_model=PasskeyListBody,
    responses=responses(401, 503),
    dependencies=[Depends(bearer)],
    summary="This account's passkeys",
)
async def list_passkeys(request: Request, user: BearerUser) -> Response:
    """Every passkey of the account, oldest first."""
    passkeys = await mfa_of(request).passkeys.store.list_passkeys(user.id)
    return JSONResponse({"passkeys": [_body(key) for key in passkeys]}, headers=NO_STORE)


@router.delete(
    "/auth/passkeys/{passkey_id}",
    status_code=204,
    responses=responses(401, 404, 422, 503),
    dependencies=[Depends(bearer)],
    summary="Remove one of this account's passkeys",
)
async def remove_passkey(request: Request, passkey_id: str, user: BearerUser) -> Response:
    """The passkey no longer signs in."""
    try:
        credential_id = base64.urlsafe_b64decode(passkey_id + "=" * (-len(passkey_id) % 4))
    except ValueError:
        credential_id = b""
    removed = credential_id and await mfa_of(request).passkeys.store.remove_passkey(
        user.id, credential_id
    )
    if not removed:
        return JSONResponse(
            {"error": "not_found", "message": "This account has no such passkey."},
            status_code=404,
            headers=NO_STORE,
        )
    state_of(request).security.event("passkey.removed", user_id=user.id)
    return Response(status_code=204, headers=NO_STORE)
