"""The hooks that put a second-factor step after a correct password.

``mfa_required`` is called by ``POST /auth/token``; ``start_code_step`` by ``POST
/login``. Each answers ``None`` for an account without a factor, so the caller goes
on as before; otherwise the caller returns what they answer, and no token pair or
session login happens until the code is verified (OWASP ASVS 2.8, 3.2.1).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gatepass._http import NO_STORE
from gatepass.server.errors import ErrorBody
from gatepass.server.mfa_state import METHODS, mfa_of
from gatepass.server.rendering import see_other
from gatepass.server.state import client_address, state_of
from gatepass.users import User


class MFARequiredBody(ErrorBody):
    """``POST /auth/token`` for an account with a second factor (401)."""

    mfa_token: str
    methods: list[str]


async def mfa_required(request: Request, user: User, *, channel: str = "api") -> Response | None:
    """The 401 ``mfa_required`` answer when ``user`` has a second factor, else ``None``.

    Args:
        request: the token request, whose password step just passed.
        user: the user.
        channel: for the security log.

    Returns:
        The response carrying a fresh ``mfa_token``, or ``None`` (no factor: go on).

    Raises:
        StoreUnavailableError: a store cannot be reached (fail closed).
    """
    mfa = mfa_of(request)
    if not await mfa.factor.enabled(user.id):
        return None
    # Bound to the password hash: a password changed meanwhile ends the challenge.
    token = await mfa.challenges.issue(user.id, state=user.password_hash or "")
    state_of(request).security.event(
        "mfa.challenged", channel=channel, user_id=user.id, address=client_address(request)
    )
    body = {
        "error": "mfa_required",
        "message": "Enter the code from your authenticator app, or a recovery code.",
        "mfa_token": token,
        "methods": list(METHODS),
    }
    return JSONResponse(body, status_code=401, headers=NO_STORE)


PENDING_KEY = "gatepass.mfa_pending"
CODE_PAGE = "/login/mfa"
MAX_PAGE_TRIES = 5


async def start_code_step(
    request: Request, user: User, *, target: str, remember: bool
) -> Response | None:
    """After a correct password on ``/login``: send a user with TOTP to the code page.

    The session keeps only a pending marker (user id, expiry, where to go next); the
    user is not logged in, and the session id is regenerated when the code is right.

    Args:
        request: the login request.
        user: the user whose password was right.
        target: the safe local path to land on after the code.
        remember: the "keep me signed in" choice, applied at the real login.

    Returns:
        A 303 to the code page, or ``None`` (no factor: log in as before).

    Raises:
        StoreUnavailableError: a store cannot be reached (fail closed).
    """
    mfa = mfa_of(request)
    if not await mfa.factor.enabled(user.id):
        return None
    request.session[PENDING_KEY] = {
        "user_id": user.id,
        "expires_at": mfa.clock() + mfa.challenges.lifetime.total_seconds(),
        "next": target,
        "remember": remember,
        "tries": 0,
    }
    state_of(request).security.event(
        "mfa.challenged", channel="form", user_id=user.id, address=client_address(request)
    )
    return see_other(CODE_PAGE)


async def mfa_summary(request: Request, user: User) -> dict[str, object]:
    """What the dashboard's security section shows about ``user``'s second factor.

    Returns:
        ``{"enabled": bool, "recovery_left": int}``.
    """
    factor = mfa_of(request).factor
    enabled = await factor.enabled(user.id)
    left = await factor.recovery_codes_left(user.id) if enabled else 0
    return {"enabled": enabled, "recovery_left": left}
