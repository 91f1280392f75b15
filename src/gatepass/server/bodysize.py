"""Refuse request bodies larger than the server ever needs, before reading them.

Every form and JSON body of the server is a few hundred bytes. A client announcing
more gets 413 at once, and a body of unannounced length (chunked) gets 411, both in
the usual error shape, so no request can make the server buffer megabytes (OWASP
ASVS 13.1.3, resource exhaustion).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send


class BodySizeLimitMiddleware:
    """Answer 413 when ``Content-Length`` exceeds ``max_size``, 411 for chunked bodies.

    Args:
        app: the wrapped ASGI app.
        max_size: the largest body accepted, in bytes.
    """

    def __init__(self, app: ASGIApp, *, max_size: int) -> None:
        self.app = app
        self.max_size = max_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = Headers(scope=scope)
            length = headers.get("content-length")
            refusal: tuple[int, str, str] | None = None
            if length is not None and (not length.isdigit() or int(length) > self.max_size):
                refusal = (
                    413,
                    "payload_too_large",
                    f"The request body is larger than {self.max_size} bytes.",
                )
            elif length is None and "transfer-encoding" in headers:
                refusal = (411, "length_required", "Send the body with a Content-Length.")
            if refusal is not None:
                status, code, message = refusal
                await JSONResponse({"error": code, "message": message}, status)(
                    scope, receive, send
                )
                return
        await self.app(scope, receive, send)
