"""The request an event happens in, so a security log line needs no extra arguments.

``AuditContextMiddleware`` (pure ASGI) keeps the current request's scope in a context
variable; the recorder reads the client address and ``User-Agent`` from it when an
event is written, and only then.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Final

from starlette.types import ASGIApp, Receive, Scope, Send

from gatepass.audit.events import MAX_USER_AGENT

_current: Final[ContextVar[Scope | None]] = ContextVar("gatepass_audit_request", default=None)


class AuditContextMiddleware:
    """Makes the current request's client known to audit events.

    Args:
        app: the ASGI app it wraps.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app with the scope remembered for this request's context."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _current.set(scope)
        try:
            await self.app(scope, receive, send)
        finally:
            _current.reset(token)


def current_client() -> tuple[str | None, str | None]:
    """The client address and ``User-Agent`` of the request being served.

    Returns:
        ``(ip, user_agent)``; each ``None`` outside a request or when absent.
    """
    scope = _current.get()
    if scope is None:
        return None, None
    client = scope.get("client")
    ip = client[0] if client else None
    agent = None
    for name, value in scope.get("headers", ()):
        if name == b"user-agent":
            agent = value.decode("latin-1")[:MAX_USER_AGENT]
            break
    return ip, agent
