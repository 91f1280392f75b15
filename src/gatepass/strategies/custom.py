"""A strategy from one function (passport-custom)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import HTTPConnection

from gatepass.strategies.base import maybe_await
from gatepass.strategies.outcomes import Outcome

StrategyFunction = Callable[[HTTPConnection], Outcome | Awaitable[Outcome]]


class CustomStrategy:
    """Wrap ``fn(request) -> Outcome`` (sync or async) as a strategy.

    Args:
        fn: reads the request and returns ``Success``/``Fail``/``Redirect``/``Pass``.
        name: the registration name.
    """

    def __init__(self, fn: StrategyFunction, *, name: str = "custom") -> None:
        self.name = name
        self._fn = fn

    async def authenticate(self, request: HTTPConnection, **options: Any) -> Outcome:
        """Run the function.

        Args:
            request: the request.
            **options: ignored.

        Returns:
            The function's outcome.
        """
        return await maybe_await(self._fn(request))
