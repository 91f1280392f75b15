"""The serializer and deserializer chains (``serializeUser`` / ``deserializeUser``)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from types import CoroutineType
from typing import Any

from gatepass.errors import ConfigurationError
from gatepass.strategies.outcomes import Pass

Serializer = Callable[[Any], Any]
Deserializer = Callable[[Any], Any]


class UserSerialization:
    """How a user goes into the session and comes back, as chains of callables."""

    def __init__(self) -> None:
        self._serializers: list[Serializer] = []
        self._deserializers: list[Deserializer] = []

    def serializer(self, fn: Serializer) -> Serializer:
        """Add a serializer (``serializeUser``): ``fn(user)`` gives what the session stores.

        Use as a decorator. Several may be registered; the first that answers wins, and
        one that returns ``PASS`` (or ``None``) hands over to the next. Return something
        JSON can hold, such as the user's id.

        Args:
            fn: sync or async.

        Returns:
            ``fn`` unchanged.
        """
        self._serializers.append(fn)
        return fn

    def deserializer(self, fn: Deserializer) -> Deserializer:
        """Add a deserializer (``deserializeUser``): ``fn(stored)`` gives the user back.

        Return the user, ``None`` when the user no longer exists (the request is then
        anonymous), or ``PASS`` to hand over to the next deserializer.

        Args:
            fn: sync or async.

        Returns:
            ``fn`` unchanged.
        """
        self._deserializers.append(fn)
        return fn

    async def serialize_user(self, user: Any) -> Any:
        """Run the serializer chain.

        Args:
            user: the app's user.

        Returns:
            The first answer.

        Raises:
            ConfigurationError: no serializer answered.
        """
        for fn in self._serializers:
            result = fn(user)
            if type(result) is CoroutineType or inspect.isawaitable(result):
                result = await result
            if result is not None and not isinstance(result, Pass):
                return result
        raise ConfigurationError(
            f"No serializer answered for {type(user).__name__}; register one with "
            "@auth.serializer (for example: return user.id)."
        )

    async def deserialize_user(self, stored: Any) -> Any:
        """Run the deserializer chain.

        Args:
            stored: what a serializer returned.

        Returns:
            The user, or ``None`` when it is gone.

        Raises:
            ConfigurationError: no deserializer answered.
        """
        for fn in self._deserializers:
            # Inline, not maybe_await(): this runs on every request with a session user.
            result = fn(stored)
            if type(result) is CoroutineType or inspect.isawaitable(result):
                result = await result
            if not isinstance(result, Pass):
                return result
        raise ConfigurationError(
            "No deserializer answered for a stored user; register one with "
            "@auth.deserializer (for example: return await users.get(user_id))."
        )
