"""Account actions the JSON API and the dashboard share: end logins, change the password.

A user sees and ends both kinds of login: browser sessions and API logins (the refresh
families of ``POST /auth/token``), because a login the user cannot end outlives a
stolen device or password (OWASP ASVS 5.0 7.5.2, 7.4.3).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import HTTPConnection

from gatepass.errors import (
    InvalidCredentialsError,
    PasswordPolicyError,
    RateLimitedError,
)
from gatepass.passwords import verify_credentials
from gatepass.server.state import client_address, state_of
from gatepass.sessions import end_other_sessions
from gatepass.users import User

WRONG_PASSWORD = "The current password is not correct."  # noqa: S105 - a message, not a secret
_BROWSERS = ("Edg", "Chrome", "Firefox", "Safari", "curl", "python-httpx")


def device_summary(agent: str) -> str:
    """A short name for a User-Agent, as the session and login lists show it.

    Args:
        agent: the ``User-Agent`` header.

    Returns:
        Such as ``"Firefox on Linux"``, the agent's first 60 characters, or
        ``"Unknown device"``.
    """
    for name in _BROWSERS:
        if name in agent:
            return {"Edg": "Edge"}.get(name, name) + (" on Linux" if "Linux" in agent else "")
    return agent[:60] or "Unknown device"


@dataclass(frozen=True, slots=True)
class Ended:
    """How many logins an action ended, of each kind."""

    sessions: int
    logins: int

    def sentence(self) -> str:
        """Say it to the user: "Logged out 2 other sessions. Ended 1 API login."."""
        sessions = f"{self.sessions} other session{'' if self.sessions == 1 else 's'}"
        logins = f"{self.logins} API login{'' if self.logins == 1 else 's'}"
        return f"Logged out {sessions}. Ended {logins}."


async def end_other_logins(connection: HTTPConnection, user: User, *, keep_session: bool) -> Ended:
    """End every other browser session and every API login of ``user``.

    Every access token of the user issued before now dies too (the subject cut-off of
    ``TokenService.logout_everywhere``), with every refresh family.

    Args:
        connection: the request.
        user: the logged-in user.
        keep_session: keep this request's own browser session (a dashboard caller);
            ``False`` ends every session (a Bearer caller has none here).

    Returns:
        What ended.

    Raises:
        StoreUnavailableError: a store cannot be reached.
    """
    state = state_of(connection)
    if keep_session:
        sessions = await end_other_sessions(connection)
    else:
        sessions = await state.backends.sessions.delete_user_sessions(user.id)
    logins = await state.tokens.end_all_families(user.id)
    state.security.event(
        "session.revoked_others", user_id=user.id, count=sessions, api_logins=logins
    )
    return Ended(sessions, logins)


async def change_password(
    connection: HTTPConnection,
    user: User,
    *,
    password: str,
    new_password: str,
    keep_session: bool,
) -> Ended:
    """Check the current password, store the new one, end the other logins, mail a notice.

    Re-authentication is asked for, and throttled like a login, so a stolen session or
    token alone cannot take the account over (OWASP ASVS 5.0 6.2.2, 6.2.3).

    Args:
        connection: the request.
        user: the logged-in user.
        password: the current password, as typed.
        new_password: the new password.
        keep_session: keep this request's browser session (see :func:`end_other_logins`).

    Returns:
        What ended.

    Raises:
        RateLimitedError: too many attempts for this account.
        InvalidCredentialsError: the current password is wrong.
        PasswordPolicyError: the new password is weak.
        StoreUnavailableError: a store cannot be reached.
    """
    state = state_of(connection)
    address = client_address(connection)
    try:
        await state.throttle.check(account=user.email, address=address)
    except RateLimitedError:
        state.security.event(
            "login.throttled", account=state.account_hash(user.email), address=address
        )
        raise
    checked = await verify_credentials(state.backends.users, state.hasher, user.email, password)
    if checked is None or checked.id != user.id:
        await state.throttle.failed(account=user.email, address=address)
        state.security.event("password.change_failed", user_id=user.id, address=address)
        raise InvalidCredentialsError(WRONG_PASSWORD)
    await state.throttle.succeeded(account=user.email, address=address)
    reasons = state.policy.problems(new_password, email=user.email)
    if reasons:
        raise PasswordPolicyError(reasons=reasons)
    new_hash = await state.hasher.hash_async(new_password)
    # Compare-and-set: a change made meanwhile by another request is not overwritten.
    stored = await state.backends.users.set_password_hash(
        user.id, new_hash, expected=checked.password_hash
    )
    if stored is None:
        raise InvalidCredentialsError(WRONG_PASSWORD)
    ended = await end_other_logins(connection, user, keep_session=keep_session)
    if keep_session:
        # A new session id after re-authentication (OWASP ASVS 5.0 7.2.4).
        remember = bool(getattr(connection.scope.get("session"), "remember", False))
        await state.auth.login(connection, user, keep=(), remember=remember)
    state.security.event("password.changed", user_id=user.id, address=address)
    # The owner learns of the change even when it was not them (OWASP ASVS 5.0 6.3.7);
    # the others were ended above (ASVS 5.0 7.4.3).
    state.mail.send("password_changed", to=user.email)
    return ended
