"""The social login routes: sign in through a provider, link one, its callback, unlink.

``GET /auth/{provider}`` starts a sign-in and ``GET /auth/{provider}/callback`` ends
it; both are served by the provider's strategy through ``Authenticator.authenticate``.
They need no CSRF token: the ``state`` parameter, bound to the session, is the CSRF
protection of the callback, and the first step only starts a sign-in (RFC 9700
§4.7.1). Linking a provider to a signed-in account is different: a link followed by
the user would attach whatever provider account the browser holds (RFC 9700 §4.7), so
it starts only from ``POST /auth/{provider}/link``, a dashboard form with the CSRF
token, and a signed-in ``GET /auth/{provider}`` starts nothing.
``POST /auth/{provider}/unlink`` is a dashboard form as well.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from gatepass.errors import RateLimitedError
from gatepass.security.ratelimit import address_key
from gatepass.server.errors import responses
from gatepass.server.pages import DEFAULT_LANDING, MAX_FIELD, PageUser
from gatepass.server.rendering import render, see_other
from gatepass.server.social import LINKING_SESSION_KEY
from gatepass.server.state import SOCIAL_LIMIT, client_address, state_of
from gatepass.sessions import flash

router = APIRouter(include_in_schema=False)

_UNKNOWN = {"error": "unknown_provider", "message": "No sign-in provider has that name."}


def _configured(request: Request, provider: str) -> bool:
    social = state_of(request).social
    # Only configured names reach the Authenticator: "api" is a strategy as well.
    return social is not None and provider in social.providers


async def _through(request: Request, provider: str) -> Response:
    """Run the provider's strategy: start a sign-in, or finish one at the callback.

    Success lands on the page the guard remembered, or the dashboard; every failure
    (cancelled, refused, provider down, unverified email) lands on ``/login`` with a
    plain flash message (``SocialLogin`` flashes it and logs the details).
    """
    return await state_of(request).auth.authenticate(
        request,
        provider,
        success_redirect=DEFAULT_LANDING,
        success_return_to=True,
        success_flash=True,
        failure_redirect="/login",
    )


@router.get("/auth/{provider}", responses=responses(404))
async def provider(request: Request, provider: str) -> Response:
    """Sign in through a configured identity provider (signed out only)."""
    state, social = state_of(request), state_of(request).social
    if social is None or not _configured(request, provider):
        return JSONResponse(_UNKNOWN, 404)
    if await state.auth.user(request) is not None:
        title = social.title(provider)
        flash(request, "info", f"To link {title}, use its button on your dashboard.")
        return see_other(DEFAULT_LANDING)
    return await _through(request, provider)


@router.post("/auth/{provider}/link", responses=responses(404))
async def link(request: Request, provider: str, user: PageUser) -> Response:
    """Link a provider account to the signed-in account (dashboard form, CSRF token)."""
    social = state_of(request).social
    if social is None or not _configured(request, provider):
        return JSONResponse(_UNKNOWN, 404)
    request.session[LINKING_SESSION_KEY] = provider
    answer = await _through(request, provider)
    location = answer.headers.get("location")
    if location is None or location.startswith("/"):
        return answer  # the provider cannot be reached: back with a flash
    # The CSP's form-action 'self' forbids a form POST to redirect to another origin;
    # a page that moves on by itself (Refresh) is a navigation of its own.
    page = render(request, "social_continue.html", title=social.title(provider), location=location)
    page.headers["Refresh"] = f"0; url={location}"
    return page


@router.get("/auth/{provider}/callback", responses=responses(404))
async def callback(request: Request, provider: str) -> Response:
    """Finish a sign-in or a link; throttled per client address like a login."""
    state = state_of(request)
    if not _configured(request, provider):
        return JSONResponse(_UNKNOWN, 404)
    address = client_address(request)
    try:
        # Each callback can ask whether an address has an account: count them as
        # logins are counted (OWASP ASVS 5.0 6.3.8, CWE-204, anti-automation).
        await state.limiter.hit(SOCIAL_LIMIT, address_key(address))
    except RateLimitedError as exc:
        state.security.event("login.throttled", channel="social", address=address)
        flash(request, "error", "Too many sign-in attempts. Wait a minute and try again.")
        page = render(request, "login.html", status_code=429, next="")
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    return await _through(request, provider)


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
