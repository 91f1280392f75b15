"""Shared handling of an app's verify callback result: user, None, or (user, info)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gatepass.strategies.outcomes import Fail, Outcome, Success


def verified(result: Any, *, challenge: str | None = None) -> Outcome:
    """Turn what a verify callback returned into an outcome.

    Args:
        result: a user; ``None``/``False`` for "refused"; ``(user, info)`` to add info
            (``(None, {"message": ...})`` refuses with that message).
        challenge: the strategy's ``WWW-Authenticate`` challenge for a refusal.

    Returns:
        ``Success`` or ``Fail``.
    """
    info: Mapping[str, Any] = {}
    if isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], Mapping):
        result, info = result
    if result is None or result is False:
        message = info.get("message")
        return Fail(
            challenge=challenge,
            message=str(message) if message else "Invalid credentials.",
        )
    scopes = info.get("scopes", ())
    return Success(result, info, scopes=tuple(str(s) for s in scopes))
