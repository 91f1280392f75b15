"""The HTML pages: log in, register, dashboard with sessions and linked sign-ins, log out.

Every form carries a CSRF token (checked by ``CSRFMiddleware``); every page that shows
an account is sent with ``Cache-Control: no-store`` so the back button after logout
shows nothing private (OWASP ASVS 8.2.1).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from gatepass.authenticator import RETURN_TO_SESSION_KEY
from gatepass.errors import (
    InvalidEmailError,
    RateLimitedError,
    UserExistsError,
)
from gatepass.passwords import verify_credentials
from gatepass.security.ratelimit import address_key
from gatepass.security.redirects import safe_next
from gatepass.server.account import device_summary, end_other_logins
from gatepass.server.account_flows import refuse_unverified, send_verification
from gatepass.server.audit_api import recent_activity
from gatepass.server.mfa_login import mfa_summary, start_code_step
from gatepass.server.rendering import render, see_other
from gatepass.server.state import REGISTER_LIMIT, client_address, state_of
from gatepass.sessions import (
    current_handle,
    end_session,
    flash,
    list_sessions,
)
from gatepass.users import User

DEFAULT_LANDING = "/dashboard"
MAX_FIELD = 1024
CONFIRM_FIRST = "Check your mail: open the link we sent to confirm your address, then log in."

router = APIRouter(include_in_schema=False)


async def _user(request: Request) -> User | None:
    user: User | None = await state_of(request).auth.user(request)
    return user


async def _form(request: Request) -> dict[str, str]:
    async with request.form(max_files=0, max_fields=20) as form:
        return {key: value[:MAX_FIELD] for key, value in form.items() if isinstance(value, str)}


read_form = _form
"""The posted form's text fields, each cut to ``MAX_FIELD`` characters (for other pages)."""


@router.get("/")
async def home(request: Request) -> Response:
    """Send a visitor to the dashboard, or to the login page."""
    return see_other(DEFAULT_LANDING if await _user(request) else "/login")


@router.get("/login")
async def login_page(request: Request, next: str | None = None) -> Response:
    """The login form."""
    if await _user(request):
        return see_other(safe_next(next, default=DEFAULT_LANDING))
    return render(request, "login.html", next=safe_next(next, default=""))


@router.post("/login")
async def login(request: Request, next: str | None = None) -> Response:
    """Check the form; 303 to ``next`` (same-site only) or the dashboard, else back."""
    state = state_of(request)
    form = await _form(request)
    email, password = form.get("email", "").strip(), form.get("password", "")
    address = client_address(request)
    safe = safe_next(next, default="")
    retry = f"/login?{urlencode({'next': safe})}" if safe else "/login"
    try:
        await state.throttle.check(account=email, address=address)
    except RateLimitedError as exc:
        state.security.event("login.throttled", account=state.account_hash(email), address=address)
        flash(request, "error", "Too many attempts. Wait a minute and try again.")
        # Only a validated local path goes back into the form (OWASP ASVS 5.1.5).
        page = render(request, "login.html", status_code=429, email=email, next=safe)
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    user = await verify_credentials(state.backends.users, state.hasher, email, password)
    if user is None:
        await state.throttle.failed(account=email, address=address)
        state.security.event(
            "login.failure", channel="form", account=state.account_hash(email), address=address
        )
        # One message for an unknown email and a wrong password (OWASP ASVS 2.2 / V3).
        flash(request, "error", "Incorrect email or password.")
        return see_other(retry)
    await state.throttle.succeeded(account=email, address=address)
    refusal = await refuse_unverified(state, user)
    if refusal is not None:
        flash(request, "error", refusal)
        return see_other(retry)
    session_return = request.session.get(RETURN_TO_SESSION_KEY)
    target = safe_next(next, default=safe_next(session_return, default=DEFAULT_LANDING))
    remember = form.get("remember") == "1"
    # With a second factor, the login waits for the code page (gatepass.server.mfa_pages).
    if step := await start_code_step(request, user, target=target, remember=remember):
        return step
    await state.auth.login(request, user, keep=(), remember=remember)
    state.security.event("login.success", channel="form", user_id=user.id, address=address)
    return see_other(target)


def _registration_closed(request: Request) -> Response:
    return render(
        request,
        "error.html",
        status_code=404,
        title="Registration is closed",
        message="Ask an administrator for an account.",
    )


@router.get("/register")
async def register_page(request: Request) -> Response:
    """The registration form."""
    if not state_of(request).settings.allow_registration:
        return _registration_closed(request)
    return render(request, "register.html", errors={})


@router.post("/register")
async def register(request: Request) -> Response:
    """Create the account and log it in, or show what is wrong next to each field."""
    state = state_of(request)
    if not state.settings.allow_registration:
        return _registration_closed(request)
    form = await _form(request)
    email, password = form.get("email", "").strip(), form.get("password", "")
    address = client_address(request)
    try:
        await state.limiter.hit(REGISTER_LIMIT, address_key(address))
    except RateLimitedError as exc:
        state.security.event("register.throttled", address=address)
        flash(request, "error", "Too many new accounts from this address. Try again later.")
        page = render(request, "register.html", status_code=429, errors={}, email=email)
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    errors: dict[str, Any] = {}
    if not email:
        errors["email"] = "Enter your email address."
    reasons = state.policy.problems(password, email=email or None)
    if reasons:
        errors["password"] = reasons
    user: User | None = None
    if not errors:
        password_hash = await state.hasher.hash_async(password)
        try:
            user = await state.backends.users.create(email=email, password_hash=password_hash)
        except InvalidEmailError as exc:
            errors["email"] = exc.message
        except UserExistsError as exc:
            errors["email"] = exc.message
    if user is None:
        return render(request, "register.html", status_code=422, errors=errors, email=email)
    state.security.event("user.registered", user_id=user.id, address=address)
    await send_verification(state, user)
    if state.settings.require_verified_email:
        flash(request, "info", CONFIRM_FIRST)
        return see_other("/login")
    await state.auth.login(request, user, keep=())
    flash(request, "success", "Welcome! Your account is ready.")
    flash(request, "info", "We mailed you a link to confirm your email address.")
    return see_other(DEFAULT_LANDING)


def _guard(request: Request) -> Any:
    return state_of(request).auth.require_user(login_url="/login")


async def require_page_user(request: Request) -> User:
    """The logged-in user of a page; a browser without one is sent to ``/login?next=``."""
    user: User = await _guard(request)(request)
    return user


PageUser = Annotated[User, Depends(require_page_user)]


@router.get("/dashboard")
async def dashboard(request: Request, user: PageUser) -> Response:
    """The account page: who is logged in, their browser sessions and API logins."""
    sessions = await list_sessions(request)
    here = current_handle(request)
    rows = [
        {
            "handle": item.handle,
            "created_at": item.created_at.strftime("%Y-%m-%d %H:%M UTC"),
            "last_seen": item.last_seen.strftime("%Y-%m-%d %H:%M UTC"),
            "user_agent": device_summary(item.user_agent),
            "current": item.handle == here,
        }
        for item in sessions
    ]
    if here is None:
        rows.insert(
            0,
            {
                "handle": "",
                "created_at": "now",
                "last_seen": "now",
                "user_agent": device_summary(request.headers.get("user-agent", "")),
                "current": True,
            },
        )
    state = state_of(request)
    logins = [
        {
            "id": family.family_id,
            "created_at": _utc(family.issued_at),
            "last_used": _utc(family.last_used),
            "device": family.device or "Unknown device",
            "address": family.address or "",
        }
        for family in await state.tokens.families(user.id)
    ]
    social = state.social
    links = await social.links(user) if social is not None else []
    return render(
        request,
        "dashboard.html",
        user=user,
        sessions=rows,
        logins=logins,
        activity=await recent_activity(request, user, device=device_summary),
        mfa=await mfa_summary(request, user),
        links=[
            {
                "provider": link.provider,
                "title": social.title(link.provider) if social else link.provider,
                "subject": link.subject,
                "email": link.email,
                "since": link.created_at.strftime("%Y-%m-%d"),
            }
            for link in links
        ],
    )


def _utc(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")


@router.post("/sessions/{handle}/revoke")
async def revoke_session(request: Request, handle: str, user: PageUser) -> Response:
    """Log out one other session of this user."""
    if await end_session(request, handle):
        state_of(request).security.event("session.revoked", user_id=user.id)
        flash(request, "success", "That session has been logged out.")
    else:
        flash(request, "error", "That session had already ended.")
    return see_other(DEFAULT_LANDING)


@router.post("/sessions/revoke-others")
async def revoke_other_sessions(request: Request, user: PageUser) -> Response:
    """Log out every other browser session and every API login of this user."""
    ended = await end_other_logins(request, user, keep_session=True)
    flash(request, "success", ended.sentence())
    return see_other(DEFAULT_LANDING)


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End this session and go to the login page."""
    state = state_of(request)
    user = await _user(request)
    await state.auth.logout(request)
    if user is not None:
        state.security.event("logout", channel="form", user_id=user.id)
    flash(request, "info", "You have been logged out.")
    return see_other("/login")
