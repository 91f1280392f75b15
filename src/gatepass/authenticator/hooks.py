"""Named hooks (Warden's callbacks): short lists of sync-or-async callables per instance."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from gatepass.strategies.base import maybe_await

HookName = Literal[
    "after_authentication", "after_login", "after_failure", "before_logout", "after_logout"
]
Hook = Callable[..., Any]


@dataclass
class Hooks:
    """The hooks of one Authenticator; append to a list to subscribe.

    Each hook is called with keyword arguments and may be sync or async:

    - ``after_authentication(request, user, strategy, scope)``: a strategy succeeded.
    - ``after_login(request, user, scope)``: a user was stored in the session.
    - ``after_failure(request, failures)``: every strategy failed; ``failures`` maps
      strategy name to its ``Fail``.
    - ``before_logout(request, user, scope)`` / ``after_logout(request, scope)``.
    """

    after_authentication: list[Hook] = field(default_factory=list)
    after_login: list[Hook] = field(default_factory=list)
    after_failure: list[Hook] = field(default_factory=list)
    before_logout: list[Hook] = field(default_factory=list)
    after_logout: list[Hook] = field(default_factory=list)

    async def run(self, name: HookName, **kwargs: Any) -> None:
        """Call every hook registered under ``name``, in order.

        Args:
            name: the hook list.
            **kwargs: the hook's arguments.
        """
        hooks: list[Hook] = getattr(self, name)
        for hook in list(hooks):
            await maybe_await(hook(**kwargs))
