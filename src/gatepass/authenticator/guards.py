"""Guards: ``require_user`` and ``require_scopes``, as FastAPI dependencies or decorators."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import WebSocketException
from starlette.requests import HTTPConnection, Request
from starlette.responses import RedirectResponse, Response
from starlette.websockets import WebSocket

from gatepass._http import challenge_header, error_response, json_error, wants_html
from gatepass.authenticator.core import AuthenticatorCore
from gatepass.authenticator.keys import RETURN_TO_SESSION_KEY
from gatepass.authenticator.responses import Halt
from gatepass.authenticator.user import credentials_for
from gatepass.errors import ConfigurationError
from gatepass.security.redirects import safe_next
from gatepass.strategies.outcomes import Error, Fail, Pass, Redirect, Success

F = TypeVar("F", bound=Callable[..., Any])

# RFC 6455 §7.4.1: 1008 "policy violation" is the close code for a refused peer.
WS_POLICY_VIOLATION = 1008
_CONNECTION_TYPES = frozenset({Request, WebSocket, HTTPConnection})


@dataclass(frozen=True, slots=True)
class _Denied:
    response: Response
    message: str


class Guard:
    """Let a request through only with a user (and the scopes asked for).

    Browsers (``Accept`` prefers HTML) are sent with 303 to ``login_url?next=...``
    and the page is kept in the session as ``return_to``; API clients get 401 JSON
    with ``WWW-Authenticate`` listing every strategy's challenge; a known user
    lacking a scope gets 403 ``forbidden``; a WebSocket is closed with 1008 before
    it is accepted.

    Use ``Depends(guard)`` in FastAPI (it returns the user) or ``@guard.protect`` on a
    Starlette endpoint.

    Args:
        auth: the Authenticator.
        strategies: registration names to try in order; none means the session.
        scope: the auth scope to check.
        login_url: where browsers are sent; ``None`` answers browsers 401 too.
        scopes: permission scopes the user must hold (``request.auth.scopes``).
    """

    def __init__(
        self,
        auth: AuthenticatorCore,
        strategies: Sequence[str] = (),
        *,
        scope: str = "default",
        login_url: str | None = "/login",
        scopes: Sequence[str] = (),
    ) -> None:
        self.auth = auth
        self.strategies = tuple(strategies) or ("session",)
        self.scope = scope
        self.login_url = login_url
        self.scopes = tuple(scopes)

    async def __call__(self, connection: HTTPConnection) -> Any:
        """Check the connection as a FastAPI dependency.

        Args:
            connection: the request or WebSocket (FastAPI injects it).

        Returns:
            The app's user (``None`` when an ``AnonymousStrategy`` let it through).

        Raises:
            Halt: an HTTP request is refused (redirect, 401, 403).
            WebSocketException: a WebSocket is refused (code 1008).
        """
        user, denied = await self.check(connection)
        if denied is None:
            return user
        if connection.scope["type"] == "websocket":
            raise WebSocketException(WS_POLICY_VIOLATION, denied.message)
        raise Halt(denied.response, denied.message)

    async def check(self, connection: HTTPConnection) -> tuple[Any, _Denied | None]:
        """Decide about one connection without raising.

        Args:
            connection: the request or WebSocket.

        Returns:
            ``(user, None)`` to let it through, or ``(None, denial)``.
        """
        # One coroutine, not check() awaiting a helper: this runs on every guarded request.
        try:
            auth = self.auth
            if self.strategies == ("session",):
                user = await auth.user(connection, self.scope)
                if user is not None:
                    return self._scoped(connection, user)
                return None, self._unauthenticated(connection, [])
            if len(self.strategies) == 1:
                # One strategy (the usual guard): no Attempt built around its answer.
                name: str | None = self.strategies[0]
                said = await auth.run(connection, self.strategies[0], scope=self.scope)
                failures: list[Fail] = []
                outcome: Success | Redirect | Error | None = None
                if isinstance(said, Fail):
                    failures.append(said)
                elif not isinstance(said, Pass):
                    outcome = said
            else:
                attempt = await auth.attempt(connection, self.strategies, scope=self.scope)
                name, outcome = attempt.strategy, attempt.outcome
                failures = [fail for _, fail in attempt.failures]
            if isinstance(outcome, Error):
                return None, _Denied(error_response(connection, outcome.exc), "Error.")
            if isinstance(outcome, Redirect):
                return None, _Denied(RedirectResponse(outcome.url, outcome.status), "Redirect.")
            if outcome is None:
                challenges = [fail.challenge or "" for fail in failures]
                return None, self._unauthenticated(connection, challenges)
            if outcome.user is None:
                # Anonymous: leave request.user as it is (a session user stays visible),
                # but a scope check needs someone to hold the scopes.
                if self.scopes:
                    return None, self._unauthenticated(connection, [])
                return None, None
            if name != "session":  # the session strategy has set it already
                auth.set_user(
                    connection,
                    outcome.user,
                    scope=self.scope,
                    scopes=outcome.scopes,
                    claims=outcome.claims,
                    strategy=name,
                    info=outcome.info,
                )
            return self._scoped(connection, outcome.user)
        except Exception as exc:
            return None, _Denied(error_response(connection, exc), "Authentication failed.")

    def _scoped(self, connection: HTTPConnection, user: Any) -> tuple[Any, _Denied | None]:
        if not self.scopes:
            return user, None
        credentials = credentials_for(connection, self.scope)
        missing = [s for s in self.scopes if s not in credentials.scopes]
        if not missing:
            return user, None
        message = "You do not have permission to do this."
        headers = {}
        if credentials.claims:
            # A bearer token lacking scope: RFC 6750 §3.1 "insufficient_scope" names
            # the scopes needed.
            realm = self._realm_of(credentials.strategy)
            headers["WWW-Authenticate"] = (
                f'Bearer realm="{realm}", error="insufficient_scope", '
                f'scope="{" ".join(self.scopes)}"'
            )
        return None, _Denied(json_error(403, "forbidden", message, headers), message)

    def _realm_of(self, name: str | None) -> str:
        try:
            return str(getattr(self.auth.strategy(name or ""), "realm", self.auth.realm))
        except ConfigurationError:
            return self.auth.realm

    def _unauthenticated(self, connection: HTTPConnection, challenges: list[str]) -> _Denied:
        message = "Authentication is required."
        if (
            self.login_url is not None
            and connection.scope["type"] == "http"
            and wants_html(connection)
        ):
            here = connection.url.path + (
                f"?{connection.url.query}" if connection.url.query else ""
            )
            target = safe_next(here, default="/")
            session = connection.scope.get("session")
            if session is not None:
                session[RETURN_TO_SESSION_KEY] = target
            joiner = "&" if "?" in self.login_url else "?"
            location = f"{self.login_url}{joiner}{urlencode({'next': target})}"
            return _Denied(RedirectResponse(location, 303), message)
        if not any(challenges):
            # RFC 9110 §11.6.1: a 401 carries at least one challenge.
            challenges = [f'Session realm="{self.auth.realm}"']
        response = json_error(401, "unauthenticated", message, challenge_header(challenges))
        return _Denied(response, message)

    def protect(self, endpoint: F) -> F:
        """Decorate a Starlette endpoint taking ``request`` or ``websocket``.

        Args:
            endpoint: the endpoint function (sync or async for HTTP; async for WebSocket).

        Returns:
            A wrapper that checks first; refused HTTP requests get the guard's response,
            refused WebSockets are closed with 1008 before accept.

        Raises:
            TypeError: the endpoint has no ``request``/``websocket`` parameter.
        """
        names = list(inspect.signature(endpoint).parameters)
        if "request" in names:
            index = names.index("request")
        elif "websocket" in names:
            index = names.index("websocket")
        else:
            raise TypeError(f"{endpoint!r} needs a 'request' or 'websocket' parameter.")
        is_async = inspect.iscoroutinefunction(endpoint)

        @functools.wraps(endpoint)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            connection: Any = args[index] if index < len(args) else kwargs.get(names[index])
            # The exact type first: HTTPConnection is a Mapping, so isinstance() goes
            # through ABCMeta on every request.
            if type(connection) not in _CONNECTION_TYPES and not isinstance(
                connection, HTTPConnection
            ):
                raise TypeError(f"{endpoint!r} was not given a request or WebSocket.")
            _, denied = await self.check(connection)
            if denied is not None:
                if isinstance(connection, WebSocket):
                    await connection.close(WS_POLICY_VIOLATION, denied.message)
                    return None
                return denied.response
            if is_async:
                return await endpoint(*args, **kwargs)
            return await run_in_threadpool(endpoint, *args, **kwargs)

        return wrapper  # type: ignore[return-value]
