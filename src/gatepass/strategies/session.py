"""Restore the user from the session (Passport's ``SessionStrategy``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import HTTPConnection

from gatepass.strategies.outcomes import PASS, Outcome, Success

Restore = Callable[[HTTPConnection, str], Awaitable[Any]]


class SessionStrategy:
    """Authenticate a request by the user stored in its session.

    Every Authenticator registers one under the name ``"session"``, wired to its own
    deserializer chain, so ``require_user("session", "api")`` tries the cookie session
    first and a bearer token next.

    Args:
        restore: ``await restore(request, scope)`` returns the stored user or ``None``
            (the Authenticator's ``user`` method, which caches per request).
        name: the registration name.
    """

    def __init__(self, restore: Restore, *, name: str = "session") -> None:
        self.name = name
        self._restore = restore

    async def authenticate(self, request: HTTPConnection, **options: Any) -> Outcome:
        """Succeed with the session's user for ``options["scope"]``, else pass.

        Args:
            request: the request.
            **options: ``scope`` names the auth scope (default ``"default"``).

        Returns:
            ``Success(user)`` or ``PASS`` when no user is stored.
        """
        user = await self._restore(request, str(options.get("scope", "default")))
        return PASS if user is None else Success(user, {"method": "session"})
