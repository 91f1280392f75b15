"""The strategy extension point: one ``name`` and one async method.

Also the one way strategies call an app's verify callback (:func:`call_verify`): an
``async def`` runs on the event loop, a plain ``def`` in a worker thread. A strategy on
a hot path applies the same rule with the check done once at construction
(:func:`is_async_callable`, then an ``await`` or :func:`call_in_thread`).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar, cast, runtime_checkable

import anyio.to_thread
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


async def call_verify(fn: Callable[..., T | Awaitable[T]], *args: Any) -> T:
    """Call an app's verify callback without blocking the event loop.

    An ``async def`` callback (or an object whose ``__call__`` is one) is awaited on
    the loop. Any other callback runs in a worker thread, as Starlette and FastAPI run
    a plain ``def`` endpoint or dependency: a sync callback typically hashes a
    password or queries a database, and on the loop it would stall every other
    request for that long. An awaitable it returns is awaited on the loop.

    Args:
        fn: the callback.
        *args: its positional arguments.

    Returns:
        What the callback returned (awaited when it was awaitable).
    """
    if is_async_callable(fn):
        return await cast("Awaitable[T]", fn(*args))
    return await call_in_thread(fn, *args)


async def call_in_thread(fn: Callable[..., T | Awaitable[T]], *args: Any) -> T:
    """Run a sync verify callback in a worker thread; await an awaitable it returns.

    Strategies that checked :func:`is_async_callable` once at construction call this
    (or await an async callback directly) instead of :func:`call_verify`, so the
    ``inspect`` checks are not paid on every request.

    Args:
        fn: the callback.
        *args: its positional arguments.

    Returns:
        What the callback returned (awaited when it was awaitable).
    """
    result = await anyio.to_thread.run_sync(fn, *args)
    return await maybe_await(result)


def is_async_callable(fn: Any) -> bool:
    """Say whether ``call_verify`` awaits ``fn`` on the loop (vs. a worker thread).

    Args:
        fn: the callback: a function, a ``functools.partial`` or an object with
            ``__call__``.

    Returns:
        True for an ``async def`` (or an object whose ``__call__`` is one).
    """
    while isinstance(fn, functools.partial):
        fn = fn.func
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)  # noqa: B004 - an object with an async __call__
    )


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
