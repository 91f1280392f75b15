"""The five things a strategy can say, as frozen values (Passport's five actions).

A strategy returns one of these and never writes a response or touches the session;
the Authenticator turns them into HTTP in one place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

MISSING_CREDENTIALS = "missing_credentials"
INVALID_CREDENTIALS = "invalid_credentials"


@dataclass(frozen=True, slots=True)
class Success:
    """The request is authenticated as ``user``.

    Args:
        user: the app's user object; ``None`` means "let through anonymously".
        info: extra facts for the app (a ``"message"`` feeds ``success_flash``).
        scopes: scopes granted to this request (``request.auth.scopes``).
        claims: token claims, when a token authenticated the request.
    """

    user: Any
    info: Mapping[str, Any] = field(default_factory=dict)
    scopes: tuple[str, ...] = ()
    claims: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Fail:
    """The credentials are missing or refused.

    Args:
        challenge: a ``WWW-Authenticate`` challenge, e.g. ``'Bearer realm="api"'``.
        status: the HTTP status this failure alone would give (401, or 400).
        message: a message safe to show to the user.
        code: the machine code for the JSON error body.
        sent: False when the request carried nothing for this strategy to check (no
            header, no token); a chain then lets another strategy's failure speak.
    """

    challenge: str | None = None
    status: int = 401
    message: str | None = None
    code: str = INVALID_CREDENTIALS
    sent: bool = True

    @classmethod
    def missing(cls, message: str = "Missing credentials.") -> Fail:
        """A 400 ``missing_credentials`` failure: nothing to check was sent.

        Args:
            message: the text for the client.

        Returns:
            The failure.
        """
        return cls(status=400, message=message, code=MISSING_CREDENTIALS)

    @property
    def is_missing_credentials(self) -> bool:
        """True for a failure that found no credentials at all."""
        return self.code == MISSING_CREDENTIALS

    @property
    def found_credentials(self) -> bool:
        """True when the strategy had credentials to check and refused them."""
        return self.sent and self.code != MISSING_CREDENTIALS


def deciding_failure(failures: Sequence[Fail]) -> Fail:
    """The failure that speaks for a chain of strategies that all failed.

    The first strategy that found credentials knows what went wrong (a bad bearer
    token beside an absent Basic header); when none found any, the first failure.

    Args:
        failures: the failures, in strategy order (at least one).

    Returns:
        The failure whose status, code and message answer the request.
    """
    return next((fail for fail in failures if fail.found_credentials), failures[0])


@dataclass(frozen=True, slots=True)
class Redirect:
    """Send the user agent elsewhere (a third-party login page, say).

    Args:
        url: where to.
        status: 302 or 303 as a rule.
    """

    url: str
    status: Literal[301, 302, 303, 307, 308] = 302


@dataclass(frozen=True, slots=True)
class Pass:
    """This strategy has nothing to say about the request; the next one is tried.

    ``PASS`` (an instance) is also what a serializer or deserializer in a chain returns to
    hand over to the next one, as Passport's ``done('pass')``.
    """


@dataclass(frozen=True, slots=True)
class Error:
    """Something broke while authenticating (a store is down, a bug).

    Args:
        exc: the exception; logged, never shown to the client.
    """

    exc: BaseException


Outcome = Success | Fail | Redirect | Pass | Error

PASS = Pass()
