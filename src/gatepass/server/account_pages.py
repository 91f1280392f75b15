"""The dashboard's account forms: end one API login, change the password.

Both are form posts carrying the CSRF token (checked by ``CSRFMiddleware``) and answer
with a 303 back to the dashboard and a flash message.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from gatepass.errors import InvalidCredentialsError, PasswordPolicyError, RateLimitedError
from gatepass.server.account import change_password
from gatepass.server.pages import DEFAULT_LANDING, PageUser, read_form
from gatepass.server.rendering import see_other
from gatepass.server.state import state_of
from gatepass.sessions import flash

router = APIRouter(include_in_schema=False)


@router.post("/logins/{family_id}/revoke")
async def revoke_token_login(request: Request, family_id: str, user: PageUser) -> Response:
    """End one API login (refresh family) of this user."""
    state = state_of(request)
    if await state.tokens.end_family(user.id, family_id):
        state.security.event("token_login.revoked", user_id=user.id)
        flash(request, "success", "That API login has been ended.")
    else:
        flash(request, "error", "That API login had already ended.")
    return see_other(DEFAULT_LANDING)


@router.post("/password/change")
async def change_password_form(request: Request, user: PageUser) -> Response:
    """Change the password from the dashboard; this browser stays logged in."""
    form = await read_form(request)
    try:
        ended = await change_password(
            request,
            user,
            password=form.get("password", ""),
            new_password=form.get("new_password", ""),
            keep_session=True,
        )
    except RateLimitedError:
        flash(request, "error", "Too many attempts. Wait a minute and try again.")
    except InvalidCredentialsError as exc:
        flash(request, "error", exc.message)
    except PasswordPolicyError as exc:
        flash(request, "error", "The new password is too weak: " + " ".join(exc.reasons))
    else:
        flash(request, "success", f"Your password has been changed. {ended.sentence()}")
    return see_other(DEFAULT_LANDING)
