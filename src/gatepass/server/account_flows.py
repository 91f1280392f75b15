"""The mailed account flows behind the JSON API and the pages.

Register with a verification mail, verify, change the address, forgot / reset the
password, sign in by a mailed link or code. Every step is throttled like login, logs a
security event (never a secret), and answers the same for unknown and known addresses.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from gatepass.errors import (
    InvalidCredentialsError,
    InvalidEmailError,
    OneTimeTokenError,
    PasswordPolicyError,
    PermissionDeniedError,
    RateLimitedError,
    UserExistsError,
)
from gatepass.mail import Purpose, Redeemed
from gatepass.mail.onetime import StateOf
from gatepass.passwords import verify_credentials
from gatepass.security.ratelimit import address_key
from gatepass.server.logging import account_hash
from gatepass.server.state import REGISTER_LIMIT, ServerState
from gatepass.users import User, UserStore
from gatepass.users.emails import normalize_email

VERIFY_PATH = "/verify-email"
RESET_PATH = "/password/reset"
LOGIN_PATH = "/login/email"
# The subject of the tokens made for unknown addresses: a real user id is never this.
NOBODY = "-"
# The recipient of the messages rendered (never sent) for unknown addresses (RFC 2606).
NOWHERE = "nobody@example.invalid"
NOT_VERIFIED = (
    "Confirm your email address first: open the link we mailed you. We have sent a new one."
)


def email_state(user: User) -> str:
    """What a verification or address-change token depends on: the address."""
    return user.email


def password_state(user: User) -> str:
    """What a reset or sign-in token depends on: the address and the password hash."""
    return f"{user.email}\x00{user.password_hash or ''}"


def _state_of(users: UserStore, pick: Callable[[User], str]) -> StateOf:
    async def current(user_id: str) -> str | None:
        user = await users.find_by_id(user_id)
        # A disabled account's links are dead too (OWASP ASVS 3.3.1).
        return pick(user) if user is not None and user.is_active else None

    return current


async def _throttled(
    state: ServerState, step: str, *, address: str, account: str | None = None
) -> None:
    try:
        await state.mail.throttle(step, address=address, account=account)
    except RateLimitedError:
        hashed = account_hash(account) if account is not None else None
        state.security.event(f"{step}.throttled", account=hashed, address=address)
        raise


async def _redeem(
    state: ServerState,
    purpose: Purpose,
    token: str,
    pick: Callable[[User], str],
    *,
    step: str,
    address: str,
) -> Redeemed:
    try:
        return await state.mail.tokens.redeem(
            purpose, token, state_of=_state_of(state.backends.users, pick)
        )
    except OneTimeTokenError:
        state.security.event(f"{step}.invalid_token", address=address)
        raise


async def _active(state: ServerState, user_id: str) -> User:
    user = await state.backends.users.find_by_id(user_id)
    if user is None or not user.is_active:
        raise OneTimeTokenError()
    return user


async def end_everything(state: ServerState, user_id: str) -> None:
    """End every session and revoke every token and refresh family of a user.

    The cut-off is the end of this second, so a pair issued in the same second goes
    too (OWASP ASVS 3.3.3: a password change ends all other sessions).
    """
    await state.backends.sessions.delete_user_sessions(user_id)
    await state.tokens.logout_everywhere(user_id, before=math.floor(time.time()) + 1)


async def send_verification(state: ServerState, user: User) -> None:
    """Mail a fresh verification link to ``user`` (older links die)."""
    tokens = state.mail.tokens
    await tokens.revoke("verify_email", user.id)
    token = await tokens.issue("verify_email", user.id, state=email_state(user))
    state.mail.send(
        "verify_email",
        to=user.email,
        link=state.mail.link(VERIFY_PATH, token),
        expires_in=state.mail.expires_in("verify_email"),
    )
    state.security.event("email.verification_sent", user_id=user.id)


async def register(state: ServerState, email: str, password: str, *, address: str) -> User:
    """Create an account and mail its verification link.

    Raises:
        PermissionDeniedError: registration is closed (403).
        RateLimitedError: too many new accounts from this address.
        PasswordPolicyError: the password is weak (422).
        InvalidEmailError: not an address (422).
        UserExistsError: the address has an account (409).
    """
    if not state.settings.allow_registration:
        raise PermissionDeniedError("Registration is closed. Ask an administrator for an account.")
    try:
        await state.limiter.hit(REGISTER_LIMIT, address_key(address))
    except RateLimitedError:
        state.security.event("register.throttled", address=address)
        raise
    state.policy.check(password, email=email)
    password_hash = await state.hasher.hash_async(password)
    user = await state.backends.users.create(email=email, password_hash=password_hash)
    state.security.event("user.registered", channel="api", user_id=user.id, address=address)
    await send_verification(state, user)
    return user


async def resend_verification(state: ServerState, user: User, *, address: str) -> None:
    """Mail a new verification link, unless the address is verified already."""
    await _throttled(state, "email.resend", address=address, account=user.id)
    if not user.email_verified:
        await send_verification(state, user)


async def verify_email(state: ServerState, token: str, *, address: str) -> User:
    """Spend a verification link, or an address-change link (then change the address).

    Raises:
        OneTimeTokenError: the link is unknown, spent, expired or stale (400).
        UserExistsError: the new address got an account meanwhile (409).
    """
    await _throttled(state, "email.verify", address=address)
    users = state.backends.users
    try:
        spent = await state.mail.tokens.redeem(
            "verify_email", token, state_of=_state_of(users, email_state)
        )
    except OneTimeTokenError:
        pass  # perhaps an address-change link: the same page confirms both
    else:
        await users.verify_email(spent.subject)
        state.security.event("email.verified", user_id=spent.subject, address=address)
        return await _active(state, spent.subject)
    spent = await _redeem(
        state, "change_email", token, email_state, step="email.verify", address=address
    )
    user = await users.change_email(spent.subject, spent.data)
    if user is None:
        raise OneTimeTokenError()
    await state.mail.tokens.revoke("verify_email", user.id)
    state.security.event("email.changed", user_id=user.id, address=address)
    return user


async def request_email_change(
    state: ServerState, user: User, new_email: str, password: str, *, address: str
) -> None:
    """Mail a confirmation link to ``new_email`` and a notice to the current address.

    Raises:
        InvalidCredentialsError: the password is wrong (401).
        InvalidEmailError: ``new_email`` is not an address, or is the current one (422).
        UserExistsError: ``new_email`` has an account (409).
    """
    await _throttled(state, "email.change", address=address, account=user.id)
    checked = await verify_credentials(state.backends.users, state.hasher, user.email, password)
    if checked is None or checked.id != user.id:
        state.security.event("email.change_refused", user_id=user.id, address=address)
        raise InvalidCredentialsError("The password is not correct.")
    normal = normalize_email(new_email)
    if normal == user.email:
        raise InvalidEmailError("That is already the account's address.")
    # Asked only after the password: no anonymous probe of who has an account.
    if await state.backends.users.find_by_email(normal) is not None:
        raise UserExistsError("Another account uses that address.")
    tokens = state.mail.tokens
    await tokens.revoke("change_email", user.id)
    token = await tokens.issue("change_email", user.id, state=email_state(user), data=normal)
    mail = state.mail
    mail.send(
        "change_email",
        to=normal,
        link=mail.link(VERIFY_PATH, token),
        expires_in=mail.expires_in("change_email"),
    )
    # The old address hears of it, so a stolen session cannot move the account quietly.
    mail.send("email_change_requested", to=user.email, new_email=normal)
    state.security.event("email.change_requested", user_id=user.id, address=address)


async def _usable(state: ServerState, email: str) -> User | None:
    user = await state.backends.users.find_by_email(email)
    return user if user is not None and user.is_active else None


async def forgot_password(state: ServerState, email: str, *, address: str) -> None:
    """Mail a reset link to a known address; for an unknown one do the same work, send nothing.

    Raises:
        RateLimitedError: too many requests for this address or account.
    """
    await _throttled(state, "password.forgot", address=address, account=email)
    user = await _usable(state, email)
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
        state.security.event("password.forgot", account=account_hash(email), address=address)
        return
    mail.sender.submit(message)
    state.security.event("password.forgot", user_id=user.id, address=address)


async def reset_password(state: ServerState, token: str, password: str, *, address: str) -> User:
    """Spend a reset link: set the password, end every session and token, mail a notice.

    Raises:
        PasswordPolicyError: the password is weak (422); the link is not spent.
        OneTimeTokenError: the link is unknown, spent, expired or stale (400).
    """
    await _throttled(state, "password.reset", address=address)
    reasons = state.policy.problems(password)
    if reasons:  # before spending the link, so the person can try another password
        raise PasswordPolicyError(reasons=reasons)
    spent = await _redeem(
        state, "reset_password", token, password_state, step="password.reset", address=address
    )
    user = await _active(state, spent.subject)
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


async def start_email_login(state: ServerState, email: str, *, address: str) -> None:
    """Mail a sign-in link and a 6-digit code to a known address; the same work otherwise.

    Raises:
        RateLimitedError: too many requests for this address or account.
    """
    await _throttled(state, "login.email", address=address, account=email)
    user = await _usable(state, email)
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
        state.security.event("login.email_sent", account=account_hash(email), address=address)
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
            await _throttled(state, "login.email_verify", address=address)
            spent = await state.mail.tokens.redeem(
                "login_email", token, state_of=_state_of(users, password_state)
            )
        else:
            typed = email or ""
            # Wrong codes count against the account and the address (CWE-307).
            await _throttled(state, "login.email_verify", address=address, account=typed)
            user = await _usable(state, typed)
            spent = await state.mail.tokens.redeem_code(
                "login_email",
                user.id if user else NOBODY,
                code or "",
                state_of=_state_of(users, password_state),
            )
        user = await _active(state, spent.subject)
    except OneTimeTokenError:
        hashed = account_hash(email) if email is not None else None
        state.security.event("login.failure", channel=channel, account=hashed, address=address)
        raise
    if not user.email_verified:
        await users.verify_email(user.id)  # signing in by mail proves the address
    state.security.event("login.success", channel=channel, user_id=user.id, address=address)
    return user


async def refuse_unverified(state: ServerState, user: User) -> str | None:
    """With ``GATEPASS_REQUIRE_VERIFIED_EMAIL``, refuse an unverified account at login.

    Returns:
        The message to show (a new link has been mailed), or ``None`` to let it in.
    """
    if not state.settings.require_verified_email or user.email_verified:
        return None
    state.security.event("login.unverified", user_id=user.id)
    await send_verification(state, user)
    return NOT_VERIFIED
