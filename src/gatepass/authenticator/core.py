"""What guards and ``authenticate()`` need of an Authenticator, as a ``Protocol``.

The Authenticator builds guards and handlers, and they call back into it; typing them
against this protocol instead of the class keeps the import graph a tree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from starlette.requests import HTTPConnection

from gatepass.authenticator.hooks import Hooks
from gatepass.authenticator.keys import RETURN_TO_SESSION_KEY
from gatepass.authenticator.registry import Attempt
from gatepass.strategies.base import Strategy
from gatepass.strategies.outcomes import Error, Fail, Pass, Redirect, Success


class AuthenticatorCore(Protocol):
    """The methods of :class:`~gatepass.authenticator.Authenticator` its guards call."""

    realm: str
    hooks: Hooks

    def strategy(self, name: str) -> Strategy: ...

    async def run(
        self, request: HTTPConnection, name: str, *, scope: str = "default"
    ) -> Success | Fail | Pass | Redirect | Error: ...

    async def attempt(
        self, request: HTTPConnection, names: Sequence[str], *, scope: str = "default"
    ) -> Attempt: ...

    async def user(self, request: HTTPConnection, scope: str = "default") -> Any: ...

    def set_user(
        self,
        request: HTTPConnection,
        user: Any,
        *,
        scope: str = "default",
        scopes: Iterable[str] = (),
        claims: Mapping[str, Any] | None = None,
        strategy: str | None = None,
        info: Mapping[str, Any] | None = None,
    ) -> None: ...

    async def login(
        self,
        request: HTTPConnection,
        user: Any,
        *,
        scope: str = "default",
        keep: Iterable[str] = (RETURN_TO_SESSION_KEY,),
        remember: bool = False,
    ) -> None: ...
