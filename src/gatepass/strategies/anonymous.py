"""Let a request through without a user (passport-anonymous)."""

from __future__ import annotations

from typing import Any

from starlette.requests import HTTPConnection

from gatepass.strategies.outcomes import Outcome, Success


class AnonymousStrategy:
    """Always succeed with no user: put it last to make authentication optional.

    ``require_user("api", "anonymous")`` gives the token's user when a valid token is
    sent and ``None`` when none is; an invalid token still fails first.

    Args:
        name: the registration name.
    """

    def __init__(self, *, name: str = "anonymous") -> None:
        self.name = name

    async def authenticate(self, request: HTTPConnection, **options: Any) -> Outcome:
        """Succeed anonymously.

        Args:
            request: the request (unused).
            **options: ignored.

        Returns:
            ``Success(None)``.
        """
        return Success(None, {"anonymous": True})
