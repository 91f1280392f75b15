"""Which middleware a request passes: pages get sessions and CSRF, API calls do not.

The JSON API takes no ambient credentials (a Bearer token, or a body), so its
requests skip the session, CSRF and session-user middleware: nothing there reads a
cookie, and a forged cross-site request gains nothing (OWASP CSRF Prevention Cheat
Sheet). The hottest routes (``GET /api/me``, ``GET /healthz``) also skip FastAPI's
routing and dependency solving: each has a pure-ASGI handler that answers the common
case and hands anything else (a refusal, a failure) to the full route, so every
error is rendered in the one place it always is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from starlette.types import ASGIApp, Receive, Scope, Send

# Answers the request and returns True, or sends nothing and returns False.
FastRoute = Callable[[Scope, Receive, Send], Awaitable[bool]]

# JSON endpoints with no session: the token endpoints, the public keys, health, and
# everything under /api/. Anything else (pages, social login) gets the full stack.
API_PATHS = frozenset(
    {
        "/auth/token",
        "/auth/refresh",
        "/auth/logout",
        "/.well-known/jwks.json",
        "/healthz",
        "/readyz",
        "/openapi.json",
    }
)
API_PREFIX = "/api/"


class RouteSplit:
    """Send API requests past the browser middleware, and the hottest ones past FastAPI.

    Args:
        app: the app below (FastAPI's exception handling and router).
        browser: wraps ``app`` in the middleware pages need (sessions, CSRF, user).
        fast: ``{(method, path): handler}`` tried first.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        browser: Callable[[ASGIApp], ASGIApp],
        fast: Mapping[tuple[str, str], FastRoute] | None = None,
    ) -> None:
        self.api = app
        self.browser = browser(app)
        self.fast = dict(fast or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            root: str = scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root) :]
            handler = self.fast.get((scope["method"], path))
            if handler is not None and await handler(scope, receive, send):
                return
            if path in API_PATHS or path.startswith(API_PREFIX):
                await self.api(scope, receive, send)
                return
        await self.browser(scope, receive, send)
