"""The social login routes: sign in through a provider, its callback, unlink.

``GET /auth/{provider}`` starts a sign-in and ``GET /auth/{provider}/callback`` ends
it; both are served by the provider's strategy through ``Authenticator.authenticate``.
They need no CSRF token: the ``state`` parameter, bound to the session, is the CSRF
protection of the callback, and the first step only starts a sign-in (RFC 9700
§4.7.1). ``POST /auth/{provider}/unlink`` is a dashboard form and carries one.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from gatepass.server.errors import responses
from gatepass.server.pages import DEFAULT_LANDING, MAX_FIELD, PageUser
from gatepass.server.rendering import see_other
from gatepass.server.state import state_of
from gatepass.sessions import flash

router = APIRouter(include_in_schema=False)

_UNKNOWN = {"error": "unknown_provider", "message": "No sign-in provider has that name."}


@router.get("/auth/{provider}", responses=responses(404))
@router.get("/auth/{provider}/callback", responses=responses(404))
async def provider(request: Request, provider: str) -> Response:
    """Sign in (or link, when signed in) through a configured identity provider.

    Success lands on the page the guard remembered, or the dashboard; every failure
    (cancelled, refused, provider down, unverified email of an existing account)
    lands on ``/login`` with a flash message, never on an error page.
    """
    state = state_of(request)
    # Only configured names reach the Authenticator: "api" is a strategy as well.
    if state.social is None or provider not in state.social.providers:
        return JSONResponse(_UNKNOWN, 404)
    return await state.auth.authenticate(
        request,
        provider,
        success_redirect=DEFAULT_LANDING,
        success_return_to=True,
        success_flash=True,
        failure_redirect="/login",
        failure_flash=True,
    )


@router.post("/auth/{provider}/unlink")
async def unlink(request: Request, provider: str, user: PageUser) -> Response:
    """Remove a provider link from the signed-in account (form field ``subject``)."""
    state = state_of(request)
    async with request.form(max_files=0, max_fields=5) as form:
        subject = form.get("subject")
    if state.social is None or not isinstance(subject, str):
        flash(request, "error", "That sign-in is not linked to your account.")
        return see_other(DEFAULT_LANDING)
    title = state.social.title(provider)
    result = await state.social.unlink(user, provider, subject[:MAX_FIELD])
    if result == "unlinked":
        flash(request, "success", f"{title} is no longer linked to your account.")
    elif result == "last_way_in":
        flash(
            request,
            "error",
            f"{title} is the only way to sign in to this account: link another provider "
            "before removing it.",
        )
    else:
        flash(request, "error", "That sign-in is not linked to your account.")
    return see_other(DEFAULT_LANDING)
