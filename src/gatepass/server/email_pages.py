"""The HTML pages of the mailed account flows: forgot / reset, verify, sign in by email.

A link from a mail opens a page whose button posts the token: mail scanners that
fetch links do not spend it (OWASP Forgot Password Cheat Sheet). Pages carrying a
token send no ``Referer`` (OWASP ASVS 8.3.1). Every form has its CSRF token.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from gatepass.errors import (
    OneTimeTokenError,
    PasswordPolicyError,
    RateLimitedError,
    UserExistsError,
)
from gatepass.server import account_flows as flows
from gatepass.server import email_login, password_reset
from gatepass.server.email_api import ACCEPTED
from gatepass.server.mfa_login import start_code_step
from gatepass.server.pages import DEFAULT_LANDING, PageUser, _form, _user
from gatepass.server.rendering import render, see_other
from gatepass.server.state import client_address, state_of
from gatepass.sessions import flash

router = APIRouter(include_in_schema=False)

BAD_LINK = "This link is invalid, was used already, or has expired. Ask for a new one."
BAD_CODE = "That code is wrong or has expired. Check the mail, or ask for a new code."
TOO_MANY = "Too many attempts. Wait a minute and try again."
NO_REFERRER = {"Referrer-Policy": "no-referrer"}


def _page(request: Request, template: str, *, status_code: int = 200, **context: Any) -> Response:
    page = render(request, template, status_code=status_code, **context)
    page.headers.update(NO_REFERRER)
    return page


def _throttled(request: Request, exc: RateLimitedError, template: str, **context: Any) -> Response:
    flash(request, "error", TOO_MANY)
    page = _page(request, template, status_code=429, **context)
    page.headers["Retry-After"] = str(exc.retry_after)
    return page


@router.get("/password/forgot")
async def forgot_page(request: Request) -> Response:
    """Ask for the address to mail a reset link to."""
    return _page(request, "password_forgot.html")


@router.post("/password/forgot")
async def forgot(request: Request) -> Response:
    """Mail the link (or not: the answer is the same) and go to the login page."""
    email = (await _form(request)).get("email", "").strip()
    if not email:
        return _page(
            request, "password_forgot.html", status_code=422, error="Enter your email address."
        )
    state = state_of(request)
    try:
        await password_reset.forgot_password(state, email, address=client_address(request))
    except RateLimitedError as exc:
        return _throttled(request, exc, "password_forgot.html", email=email)
    lifetime = state.mail.expires_in("reset_password")
    flash(request, "info", f"{ACCEPTED['message']} The link works for {lifetime}.")
    return see_other("/login")


@router.get("/password/reset")
async def reset_page(request: Request, token: str = "") -> Response:
    """The form for the new password; the token waits in it, unspent."""
    if not token:
        flash(request, "error", BAD_LINK)
        return see_other("/password/forgot")
    return _page(request, "password_reset.html", token=token[:512], errors=[])


@router.post("/password/reset")
async def reset(request: Request) -> Response:
    """Set the password; every session ends; then log in with it."""
    form = await _form(request)
    token, password = form.get("token", ""), form.get("password", "")
    state = state_of(request)
    try:
        await password_reset.reset_password(state, token, password, address=client_address(request))
    except RateLimitedError as exc:
        return _throttled(request, exc, "password_reset.html", token=token, errors=[])
    except PasswordPolicyError as exc:
        return _page(
            request, "password_reset.html", status_code=422, token=token, errors=exc.reasons
        )
    except OneTimeTokenError:
        flash(request, "error", BAD_LINK)
        return see_other("/password/forgot")
    flash(request, "success", "Your password was changed. Log in with the new password.")
    return see_other("/login")


@router.get("/verify-email")
async def verify_page(request: Request, token: str = "") -> Response:
    """A button that confirms the address (a GET spends nothing)."""
    if not token:
        flash(request, "error", BAD_LINK)
        return see_other(DEFAULT_LANDING if await _user(request) else "/login")
    return _page(request, "verify_email.html", token=token[:512])


@router.post("/verify-email")
async def verify(request: Request) -> Response:
    """Spend the verification or address-change link."""
    token = (await _form(request)).get("token", "")
    state = state_of(request)
    landing = DEFAULT_LANDING if await _user(request) else "/login"
    try:
        user = await flows.verify_email(state, token, address=client_address(request))
    except RateLimitedError as exc:
        return _throttled(request, exc, "verify_email.html", token=token)
    except OneTimeTokenError:
        flash(request, "error", BAD_LINK)
        return see_other(landing)
    except UserExistsError:
        flash(request, "error", "Another account uses that address now.")
        return see_other(landing)
    flash(request, "success", f"Your email address {user.email} is confirmed.")
    return see_other(landing)


@router.get("/login/email")
async def email_login_page(request: Request, token: str = "") -> Response:
    """Ask for the address; with a mailed ``token``, a button that signs in."""
    if token:
        return _page(request, "login_email.html", step="link", token=token[:512])
    return _page(request, "login_email.html", step="email")


@router.post("/verify-email/resend")
async def resend_verification(request: Request, user: PageUser) -> Response:
    """Mail a fresh verification link from the dashboard (throttled like the API's)."""
    try:
        await flows.resend_verification(state_of(request), user, address=client_address(request))
    except RateLimitedError as exc:
        flash(request, "error", f"Too many links asked for. Try again in {exc.retry_after} s.")
        return see_other(DEFAULT_LANDING)
    flash(request, "info", f"A new verification link is on its way to {user.email}.")
    return see_other(DEFAULT_LANDING)


@router.post("/login/email")
async def email_login_start(request: Request) -> Response:
    """Mail a link and a code (or not: the answer is the same), then ask for the code."""
    email = (await _form(request)).get("email", "").strip()
    if not email:
        return _page(
            request,
            "login_email.html",
            status_code=422,
            step="email",
            error="Enter your email address.",
        )
    state = state_of(request)
    try:
        await email_login.start_email_login(state, email, address=client_address(request))
    except RateLimitedError as exc:
        return _throttled(request, exc, "login_email.html", step="email", email=email)
    flash(request, "info", ACCEPTED["message"])
    return _page(request, "login_email.html", step="code", email=email)


@router.post("/login/email/verify")
async def email_login_verify(request: Request) -> Response:
    """Sign in with the mailed link's token, or with the address and its code."""
    form = await _form(request)
    token, email, code = form.get("token"), form.get("email", "").strip(), form.get("code", "")
    state = state_of(request)
    by_code = {"step": "code", "email": email}
    try:
        user = await email_login.finish_email_login(
            state,
            address=client_address(request),
            token=token or None,
            email=None if token else email,
            code=None if token else code,
        )
    except RateLimitedError as exc:
        if token:
            return _throttled(request, exc, "login_email.html", step="link", token=token)
        return _throttled(request, exc, "login_email.html", **by_code)
    except OneTimeTokenError:
        if token:
            flash(request, "error", BAD_LINK)
            return see_other("/login/email")
        flash(request, "error", BAD_CODE)
        return _page(request, "login_email.html", status_code=400, **by_code)
    # The mailbox is one factor: an account with TOTP goes on to the code page.
    if step := await start_code_step(request, user, target=DEFAULT_LANDING, remember=False):
        return step
    await state.auth.login(request, user, keep=())
    return see_other(DEFAULT_LANDING)
