"""Pure-ASGI middleware that puts the session's user on every request."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket

from gatepass.authenticator.authenticator import Authenticator
from gatepass.authenticator.responses import error_response

WRONG_ORDER = (
    "AuthMiddleware runs outside the session middleware, so it cannot see the session "
    "and every request looks logged out. Starlette runs middleware in the reverse order "
    "of add_middleware(): call app.add_middleware(AuthMiddleware, ...) before "
    "app.add_middleware(SessionMiddleware, ...), or list Middleware(SessionMiddleware, "
    "...) before Middleware(AuthMiddleware, ...) in middleware=[...]."
)


class AuthMiddleware:
    """Restore the user from the session so ``request.user`` is there on every page.

    Like Starlette's ``AuthenticationMiddleware``, but through the Authenticator's
    deserializers, once per request (guards reuse the cached user). Install it inside
    the session middleware (add it first, or list it after the session middleware).
    Installed outside a session middleware, it raises ``RuntimeError`` naming the fix
    on the first response, instead of showing every page logged out.

    Args:
        app: the wrapped ASGI app.
        authenticator: the Authenticator.
        scopes: the auth scopes restored eagerly; others are restored on first use.
    """

    def __init__(
        self, app: ASGIApp, *, authenticator: Authenticator, scopes: Sequence[str] = ("default",)
    ) -> None:
        self.app = app
        self.authenticator = authenticator
        self.scopes = tuple(scopes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Restore, then call the app; a failing store answers 503/500, never a trace.

        Args:
            scope: the ASGI scope.
            receive: the ASGI receive channel.
            send: the ASGI send channel.
        """
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        try:
            for name in self.scopes:
                await self.authenticator.user(connection, name)
        except Exception as exc:
            # Fail closed: no user is granted when the session cannot be read.
            if scope["type"] == "websocket":
                await WebSocket(scope, receive, send).close(1011)
                return
            await error_response(connection, exc)(scope, receive, send)
            return
        if not self.scopes or "session" in scope:
            await self.app(scope, receive, send)
            return
        # No session yet: either the app has none (requests stay anonymous) or one is
        # installed inside this middleware, so the user was restored before the session
        # was loaded and every page looks logged out (a login loop).
        checked = False

        async def send_checked(message: Message) -> None:
            nonlocal checked
            if not checked:
                checked = True
                if "session" in scope:
                    raise RuntimeError(WRONG_ORDER)
            await send(message)

        await self.app(scope, receive, send_checked)
