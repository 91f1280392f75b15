"""The HTML second-factor pages: the code step after the password, and TOTP set-up.

The code step reads the pending marker :func:`gatepass.server.mfa_login.start_code_step`
left in the session; only a right code logs the user in, with a new session id. The
QR code is inline SVG drawn by segno on the server: no script and no image from
elsewhere, so the strict Content-Security-Policy stays as it is.
"""

from __future__ import annotations

from typing import Any

import segno
from fastapi import APIRouter, Request
from markupsafe import Markup
from starlette.responses import Response

from gatepass.errors import InvalidMFACodeError, MFAStateError, RateLimitedError
from gatepass.server.mfa_login import CODE_PAGE, MAX_PAGE_TRIES, PENDING_KEY
from gatepass.server.mfa_state import mfa_of
from gatepass.server.pages import DEFAULT_LANDING, PageUser, _form
from gatepass.server.rendering import render, see_other
from gatepass.server.state import client_address, state_of
from gatepass.sessions import flash

router = APIRouter(include_in_schema=False)
SETUP_PAGE = "/dashboard/mfa/setup"


def _pending(request: Request) -> dict[str, Any] | None:
    marker = request.session.get(PENDING_KEY)
    if not isinstance(marker, dict):
        return None
    if float(marker.get("expires_at", 0)) <= mfa_of(request).clock():
        request.session.pop(PENDING_KEY, None)
        return None
    return marker


def _start_over(request: Request, message: str) -> Response:
    request.session.pop(PENDING_KEY, None)
    flash(request, "error", message)
    return see_other("/login")


@router.get(CODE_PAGE)
async def code_page(request: Request) -> Response:
    """The code form of a sign-in whose password step passed."""
    if _pending(request) is None:
        return _start_over(request, "Your sign-in expired. Log in again.")
    return render(request, "mfa_code.html")


@router.post(CODE_PAGE)
async def code_step(request: Request) -> Response:
    """Check the code; log in (new session id) and go on, or say what is wrong."""
    state, mfa = state_of(request), mfa_of(request)
    marker = _pending(request)
    if marker is None:
        return _start_over(request, "Your sign-in expired. Log in again.")
    code = (await _form(request)).get("code", "")
    user = await state.backends.users.find_by_id(str(marker["user_id"]))
    if user is None or not user.is_active:
        return _start_over(request, "Your sign-in expired. Log in again.")
    address = client_address(request)
    try:
        method = await mfa.factor.verify(user.id, code)
    except RateLimitedError as exc:
        state.security.event("mfa.failed", step="form", reason="throttled", user_id=user.id)
        flash(request, "error", "Too many attempts. Wait a few minutes and try again.")
        page = render(request, "mfa_code.html", status_code=429)
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    except InvalidMFACodeError:
        state.security.event("mfa.failed", step="form", reason="code", user_id=user.id)
        tries = int(marker.get("tries", 0)) + 1
        if tries >= MAX_PAGE_TRIES:
            return _start_over(request, "Too many wrong codes. Log in again.")
        request.session[PENDING_KEY] = {**marker, "tries": tries}
        flash(request, "error", "That code is not right, or was already used. Try again.")
        return see_other(CODE_PAGE)
    request.session.pop(PENDING_KEY, None)
    # The login regenerates the session id (ASVS 3.2.1): the pending session ends here.
    await state.auth.login(request, user, keep=(), remember=bool(marker.get("remember")))
    state.security.event("mfa.verified", method=method, user_id=user.id, address=address)
    state.security.event("login.success", channel="form", user_id=user.id, address=address)
    if method == "recovery_code":
        left = await mfa.factor.recovery_codes_left(user.id)
        flash(request, "info", f"You used a recovery code; {left} left.")
    return see_other(str(marker.get("next") or DEFAULT_LANDING))


def _qr_svg(uri: str) -> Markup:
    qr = segno.make(uri, error="m")
    svg = qr.svg_inline(scale=5, border=4, dark="#000", light="#fff", title="QR code")
    # segno escapes the text it embeds; the markup is ours, not user input.
    return Markup(svg)  # noqa: S704


@router.post(SETUP_PAGE)
async def begin_setup(request: Request, user: PageUser) -> Response:
    """Make a new secret and show it."""
    try:
        await mfa_of(request).factor.begin(user.id, account=user.email)
    except MFAStateError:
        flash(request, "error", "Two-step verification is already on.")
        return see_other(DEFAULT_LANDING)
    state_of(request).security.event("mfa.setup_started", user_id=user.id)
    return see_other(SETUP_PAGE)


@router.get(SETUP_PAGE)
async def setup_page(request: Request, user: PageUser) -> Response:
    """The QR code and the secret of the set-up in progress, and the confirm form."""
    setup = await mfa_of(request).factor.pending(user.id, account=user.email)
    if setup is None:
        return see_other(DEFAULT_LANDING)
    grouped = " ".join(setup.secret[i : i + 4] for i in range(0, len(setup.secret), 4))
    return render(
        request, "mfa_setup.html", user=user, qr=_qr_svg(setup.otpauth_uri), secret=grouped
    )


@router.post("/dashboard/mfa/confirm")
async def confirm_setup(request: Request, user: PageUser) -> Response:
    """Turn TOTP on with the first code; show the recovery codes once."""
    state = state_of(request)
    code = (await _form(request)).get("code", "")
    try:
        codes = await mfa_of(request).factor.confirm(user.id, code)
    except MFAStateError:
        flash(request, "error", "Start the set-up again.")
        return see_other(DEFAULT_LANDING)
    except RateLimitedError:
        flash(request, "error", "Too many attempts. Wait a few minutes and try again.")
        return see_other(SETUP_PAGE)
    except InvalidMFACodeError:
        state.security.event("mfa.failed", step="confirm", user_id=user.id)
        flash(request, "error", "That code is not right. Check the app's clock and try again.")
        return see_other(SETUP_PAGE)
    state.security.event("mfa.enabled", method="totp", user_id=user.id)
    flash(request, "success", "Two-step verification is on.")
    return render(request, "mfa_recovery.html", user=user, codes=codes)


@router.post("/dashboard/mfa/disable")
async def disable(request: Request, user: PageUser) -> Response:
    """Turn TOTP off, proved by a current code or a recovery code."""
    state = state_of(request)
    code = (await _form(request)).get("code", "")
    try:
        await mfa_of(request).factor.disable(user.id, code)
    except MFAStateError:
        flash(request, "error", "Two-step verification is not on.")
    except RateLimitedError:
        flash(request, "error", "Too many attempts. Wait a few minutes and try again.")
    except InvalidMFACodeError:
        state.security.event("mfa.failed", step="disable", user_id=user.id)
        flash(request, "error", "That code is not right; two-step verification is still on.")
    else:
        state.security.event("mfa.disabled", method="totp", user_id=user.id)
        flash(request, "success", "Two-step verification is off.")
    return see_other(DEFAULT_LANDING)
