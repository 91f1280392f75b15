"""The strategy extension point: one ``name`` and one async method."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable
from typing import Any, Protocol, TypeVar, runtime_checkable

from starlette.requests import HTTPConnection

from gatepass.strategies.outcomes import Outcome

T = TypeVar("T")


@runtime_checkable
class Strategy(Protocol):
    """Anything that reads credentials off a request and says what it found.

    A strategy parses HTTP; the app's verify callback owns the users. It returns an
    :data:`~gatepass.strategies.outcomes.Outcome` and never writes a response.
    """

    name: str

    async def authenticate(self, request: HTTPConnection, **options: Any) -> Outcome:
        """Look at the request and return an outcome.

        Args:
            request: the HTTP request or WebSocket.
            **options: per-call options the Authenticator passes on (``scope``).

        Returns:
            ``Success``, ``Fail``, ``Redirect``, ``Pass`` or ``Error``.
        """
        ...


async def maybe_await(value: T | Awaitable[T]) -> T:
    """Return ``value``, awaiting it first when a sync-or-async callback gave an awaitable.

    Args:
        value: a plain value or an awaitable.

    Returns:
        The value.
    """
    if inspect.isawaitable(value):
        return await value
    return value
