"""Strategies registered by name on one instance, and the loop that tries them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from starlette.requests import HTTPConnection

from gatepass.authenticator.hooks import Hooks
from gatepass.errors import ConfigurationError
from gatepass.strategies.base import Strategy
from gatepass.strategies.outcomes import Error, Fail, Pass, Redirect, Success


@dataclass(frozen=True, slots=True)
class Attempt:
    """What running a list of strategies gave.

    Args:
        outcome: the deciding ``Success``, ``Redirect`` or ``Error``; ``None`` when
            every strategy failed or passed.
        strategy: the name of the deciding strategy.
        failures: every ``Fail``, in order, with its strategy name.
    """

    outcome: Success | Redirect | Error | None
    strategy: str | None
    failures: tuple[tuple[str, Fail], ...]


class StrategyRegistry:
    """The strategies of one Authenticator (no global registry: STYLE habit 4)."""

    def __init__(self) -> None:
        self.hooks = Hooks()
        self._strategies: dict[str, Strategy] = {}

    def use(self, strategy: Strategy, name: str | None = None) -> StrategyRegistry:
        """Register a strategy under ``name`` (default: its own ``name``).

        Args:
            strategy: any object with ``name`` and ``async authenticate``.
            name: the registration name.

        Returns:
            The Authenticator, for chaining.

        Raises:
            ConfigurationError: the object is not a strategy or has no name.
        """
        if not isinstance(strategy, Strategy):
            raise ConfigurationError(
                f"{strategy!r} is not a strategy: it needs a `name` and "
                "`async def authenticate(self, request, **options)`."
            )
        key = name or strategy.name
        if not key:
            raise ConfigurationError("A strategy needs a name: pass use(strategy, name=...).")
        self._strategies[key] = strategy
        return self

    def unuse(self, name: str) -> StrategyRegistry:
        """Remove the strategy registered under ``name``.

        Args:
            name: the registration name.

        Returns:
            The Authenticator, for chaining.
        """
        self._strategies.pop(name, None)
        return self

    def strategy(self, name: str) -> Strategy:
        """Return the strategy registered under ``name``.

        Args:
            name: the registration name.

        Returns:
            The strategy.

        Raises:
            ConfigurationError: nothing is registered under that name.
        """
        try:
            return self._strategies[name]
        except KeyError:
            known = ", ".join(sorted(self._strategies)) or "none"
            raise ConfigurationError(
                f"Unknown strategy {name!r} (registered: {known}); add it with auth.use(...)."
            ) from None

    async def run(
        self, request: HTTPConnection, name: str, *, scope: str = "default"
    ) -> Success | Fail | Pass | Redirect | Error:
        """Run one registered strategy: an exception becomes ``Error``, a success runs hooks.

        Args:
            request: the request.
            name: the registration name.
            scope: the auth scope, passed on to the strategy.

        Returns:
            What the strategy said.

        Raises:
            ConfigurationError: nothing is registered under that name.
        """
        found = self._strategies.get(name)
        strategy = self.strategy(name) if found is None else found  # raises for unknown
        try:
            outcome = await strategy.authenticate(request, scope=scope)
        except Exception as exc:
            return Error(exc)
        # Most apps register no hook: skip building the call on every request.
        if isinstance(outcome, Success) and self.hooks.after_authentication:
            await self.hooks.run(
                "after_authentication",
                request=request,
                user=outcome.user,
                strategy=name,
                scope=scope,
            )
        return outcome

    async def attempt(
        self, request: HTTPConnection, names: Sequence[str], *, scope: str = "default"
    ) -> Attempt:
        """Try strategies in order until one decides; ``Pass`` falls through.

        Args:
            request: the request.
            names: registration names, in order.
            scope: the auth scope, passed on to each strategy.

        Returns:
            The deciding outcome, or every failure.
        """
        failures: list[tuple[str, Fail]] = []
        for name in names:
            outcome = await self.run(request, name, scope=scope)
            if isinstance(outcome, Fail):
                failures.append((name, outcome))
            elif not isinstance(outcome, Pass):
                return Attempt(outcome, name, tuple(failures))
        return Attempt(None, None, tuple(failures))
