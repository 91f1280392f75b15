"""The mailed account flows behind the JSON API and the pages, and what they share.

Here: register with a verification mail, verify, resend, change the address, and the
login refusal of unverified accounts; forgot / reset is ``password_reset``, sign-in by
email ``email_login``. Every step is throttled like login, logs a security event (never
a secret), and answers the same for unknown and known addresses.
"""

from __future__ import annotations

from collections.abc import Callable

from gatepass.errors import (
    InvalidCredentialsError,
    InvalidEmailError,
    OneTimeTokenError,
    PermissionDeniedError,
    RateLimitedError,
    UserExistsError,
)
from gatepass.mail import Purpose, Redeemed
from gatepass.mail.onetime import StateOf
from gatepass.passwords import verify_credentials
from gatepass.security.ratelimit import address_key
from gatepass.server.ending import end_every_login
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


def current_state(users: UserStore, pick: Callable[[User], str]) -> StateOf:
    """The ``state_of`` of a redemption: ``pick`` of the user, ``None`` when gone or disabled."""

    async def current(user_id: str) -> str | None:
        user = await users.find_by_id(user_id)
        # A disabled account's links are dead too (OWASP ASVS 3.3.1).
        return pick(user) if user is not None and user.is_active else None

    return current


async def throttled(
    state: ServerState, step: str, *, address: str, account: str | None = None
) -> None:
    """Count one attempt at ``step`` (see ``AccountMail.throttle``); log a refusal."""
    try:
        await state.mail.throttle(step, address=address, account=account)
    except RateLimitedError:
        hashed = state.account_hash(account) if account is not None else None
        state.security.event(f"{step}.throttled", account=hashed, address=address)
        raise


async def redeem(
    state: ServerState,
    purpose: Purpose,
    token: str,
    pick: Callable[[User], str],
    *,
    step: str,
    address: str,
) -> Redeemed:
    """Spend a link token of ``purpose``; log a refusal as ``{step}.invalid_token``."""
    try:
        return await state.mail.tokens.redeem(
            purpose, token, state_of=current_state(state.backends.users, pick)
        )
    except OneTimeTokenError:
        state.security.event(f"{step}.invalid_token", address=address)
        raise


async def active_user(state: ServerState, user_id: str) -> User:
    """The user a spent token was for; a vanished or disabled one spends nothing."""
    user = await state.backends.users.find_by_id(user_id)
    if user is None or not user.is_active:
        raise OneTimeTokenError()
    return user


async def usable_user(state: ServerState, email: str) -> User | None:
    """The active account of an address as typed, or ``None``."""
    user = await state.backends.users.find_by_email(email)
    return user if user is not None and user.is_active else None


async def end_everything(state: ServerState, user_id: str) -> None:
    """End every session and revoke every token and refresh family of a user."""
    await end_every_login(state.backends.sessions, state.tokens, user_id)


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
    await throttled(state, "email.resend", address=address, account=user.id)
    if not user.email_verified:
        await send_verification(state, user)


async def verify_email(state: ServerState, token: str, *, address: str) -> User:
    """Spend a verification link, or an address-change link (then change the address).

    Raises:
        OneTimeTokenError: the link is unknown, spent, expired or stale (400).
        UserExistsError: the new address got an account meanwhile (409).
    """
    await throttled(state, "email.verify", address=address)
    users = state.backends.users
    try:
        spent = await state.mail.tokens.redeem(
            "verify_email", token, state_of=current_state(users, email_state)
        )
    except OneTimeTokenError:
        pass  # perhaps an address-change link: the same page confirms both
    else:
        await users.verify_email(spent.subject)
        state.security.event("email.verified", user_id=spent.subject, address=address)
        return await active_user(state, spent.subject)
    spent = await redeem(
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
    await throttled(state, "email.change", address=address, account=user.id)
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
