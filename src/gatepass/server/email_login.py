"""Sign in by email: a mailed single-use link, or a 6-digit code, for the account."""

from __future__ import annotations

from gatepass.errors import OneTimeTokenError
from gatepass.server.account_flows import (
    LOGIN_PATH,
    NOBODY,
    NOWHERE,
    active_user,
    current_state,
    password_state,
    throttled,
    usable_user,
)
from gatepass.server.state import ServerState
from gatepass.users import User


async def start_email_login(state: ServerState, email: str, *, address: str) -> None:
    """Mail a sign-in link and a 6-digit code to a known address; the same work otherwise.

    Raises:
        RateLimitedError: too many requests for this address or account.
    """
    await throttled(state, "login.email", address=address, account=email)
    user = await usable_user(state, email)
    mail = state.mail
    subject, fingerprint = (user.id, password_state(user)) if user else (NOBODY, "")
    token = await mail.tokens.issue("login_email", subject, state=fingerprint)
    code = await mail.tokens.issue_code("login_email", subject, state=fingerprint)
    message = mail.templates.render(
        "login_email",
        to=user.email if user else NOWHERE,
        link=mail.link(LOGIN_PATH, token),
        code=code,
        expires_in=mail.expires_in("login_email"),
    )
    if user is None:
        state.security.event("login.email_sent", account=state.account_hash(email), address=address)
        return
    mail.sender.submit(message)
    state.security.event("login.email_sent", user_id=user.id, address=address)


async def finish_email_login(
    state: ServerState,
    *,
    address: str,
    token: str | None = None,
    email: str | None = None,
    code: str | None = None,
) -> User:
    """Spend a mailed sign-in link, or an address's 6-digit code; every attempt counts.

    Raises:
        RateLimitedError: too many attempts for this address or account.
        OneTimeTokenError: wrong, spent or expired (400).
    """
    channel = "email_link" if token is not None else "email_code"
    users = state.backends.users
    try:
        if token is not None:
            await throttled(state, "login.email_verify", address=address)
            spent = await state.mail.tokens.redeem(
                "login_email", token, state_of=current_state(users, password_state)
            )
        else:
            typed = email or ""
            # Wrong codes count against the account and the address (CWE-307).
            await throttled(state, "login.email_verify", address=address, account=typed)
            user = await usable_user(state, typed)
            spent = await state.mail.tokens.redeem_code(
                "login_email",
                user.id if user else NOBODY,
                code or "",
                state_of=current_state(users, password_state),
            )
        user = await active_user(state, spent.subject)
    except OneTimeTokenError:
        hashed = state.account_hash(email) if email is not None else None
        state.security.event("login.failure", channel=channel, account=hashed, address=address)
        raise
    if not user.email_verified:
        await users.verify_email(user.id)  # signing in by mail proves the address
    state.security.event("login.success", channel=channel, user_id=user.id, address=address)
    return user
