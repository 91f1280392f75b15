"""CSRF refusals shown as a page of the site, not a bare error.

``CSRFMiddleware`` answers a forged or expired form with 403 before the app runs. This
wrapper notices that the app was never reached and, for a browser, sends the site's
own error page instead (same status, same ``no-store``), so the person sees what
happened and how to go on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from starlette.requests import HTTPConnection
from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gatepass.errors import CSRFError
from gatepass.integrations import wants_html
from gatepass.security.csrf import CSRFMiddleware

_PASSED = "gatepass.csrf_passed"
RenderRefusal = Callable[[Scope, str, str], str]


class CSRFWithPages:
    """``CSRFMiddleware`` whose refusals are rendered with the site's templates.

    Args:
        app: the wrapped ASGI app.
        render: ``render(scope, title, message)`` returns the page's HTML.
        exempt_paths: paths never checked (see :class:`CSRFMiddleware`).
    """

    def __init__(
        self, app: ASGIApp, *, render: RenderRefusal, exempt_paths: Iterable[str] = ()
    ) -> None:
        self.app = app
        self.render = render
        self.csrf = CSRFMiddleware(self._reached, exempt_paths=exempt_paths)

    async def _reached(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[_PASSED] = True
        await self.app(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.csrf(scope, receive, send)
            return
        replaced = False

        async def send_page_on_refusal(message: Message) -> None:
            nonlocal replaced
            if replaced:
                return
            if (
                message["type"] == "http.response.start"
                and message["status"] == CSRFError.status_code
                and not scope.get(_PASSED)
                and wants_html(HTTPConnection(scope))
            ):
                replaced = True
                error = CSRFError()
                page = HTMLResponse(
                    self.render(scope, "Request refused", error.message),
                    status_code=error.status_code,
                    headers={"Cache-Control": "no-store"},
                )
                await page(scope, receive, send)
                return
            await send(message)

        await self.csrf(scope, receive, send_page_on_refusal)
