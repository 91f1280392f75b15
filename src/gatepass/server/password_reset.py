"""Forgot / reset password: a mailed single-use link sets a new password.

The link lives 30 minutes and dies when the password changes; a reset ends every
session and refresh family and mails a notice (OWASP Forgot Password Cheat Sheet).
"""

from __future__ import annotations

from gatepass.errors import OneTimeTokenError, PasswordPolicyError
from gatepass.server.account_flows import (
    NOBODY,
    NOWHERE,
    RESET_PATH,
    active_user,
    end_everything,
    password_state,
    redeem,
    throttled,
    usable_user,
)
from gatepass.server.state import ServerState
from gatepass.users import User


async def forgot_password(state: ServerState, email: str, *, address: str) -> None:
    """Mail a reset link to a known address; for an unknown one do the same work, send nothing.

    Raises:
        RateLimitedError: too many requests for this address or account.
    """
    await throttled(state, "password.forgot", address=address, account=email)
    user = await usable_user(state, email)
    mail = state.mail
    # Unknown addresses cost the same store write and rendering, so neither the body
    # nor the time tells whether an account exists (OWASP Forgot Password Cheat Sheet).
    subject, fingerprint = (user.id, password_state(user)) if user else (NOBODY, "")
    token = await mail.tokens.issue("reset_password", subject, state=fingerprint)
    message = mail.templates.render(
        "reset_password",
        to=user.email if user else NOWHERE,
        link=mail.link(RESET_PATH, token),
        expires_in=mail.expires_in("reset_password"),
    )
    if user is None:
        state.security.event("password.forgot", account=state.account_hash(email), address=address)
        return
    mail.sender.submit(message)
    state.security.event("password.forgot", user_id=user.id, address=address)


async def reset_password(state: ServerState, token: str, password: str, *, address: str) -> User:
    """Spend a reset link: set the password, end every session and token, mail a notice.

    Raises:
        PasswordPolicyError: the password is weak (422); the link is not spent.
        OneTimeTokenError: the link is unknown, spent, expired or stale (400).
    """
    await throttled(state, "password.reset", address=address)
    reasons = state.policy.problems(password)
    if reasons:  # before spending the link, so the person can try another password
        raise PasswordPolicyError(reasons=reasons)
    spent = await redeem(
        state, "reset_password", token, password_state, step="password.reset", address=address
    )
    user = await active_user(state, spent.subject)
    state.policy.check(password, email=user.email)
    new_hash = await state.hasher.hash_async(password)
    # Compare-and-set: a password changed meanwhile makes this link stale.
    updated = await state.backends.users.set_password_hash(
        user.id, new_hash, expected=user.password_hash
    )
    if updated is None:
        raise OneTimeTokenError()
    if not updated.email_verified:
        await state.backends.users.verify_email(user.id)  # the link reached the mailbox
    await end_everything(state, user.id)
    await state.mail.tokens.revoke("login_email", user.id)
    state.mail.send("password_changed", to=user.email)
    state.security.event("password.reset", user_id=user.id, address=address)
    return updated
