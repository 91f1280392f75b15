"""``GET /metrics`` behind a Bearer token, and the request-duration middleware."""

from __future__ import annotations

import hmac
from time import perf_counter
from typing import Any, Final

from fastapi import APIRouter, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from gatepass._http import json_error
from gatepass.server.metrics import CONTENT_TYPE, Metrics
from gatepass.server.state import state_of

router = APIRouter()
_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_NOT_FOUND = "Nothing is here."


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """The app's metrics, for a scraper holding ``GATEPASS_METRICS_TOKEN``."""
    state = state_of(request)
    token = state.settings.metrics_token
    if token is None:
        # Unconfigured, the endpoint does not exist: a scan learns nothing.
        return json_error(404, "not_found", _NOT_FOUND)
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    expected = token.get_secret_value().encode()
    # Constant-time comparison: the time taken tells nothing about the token
    # (CWE-208, observable timing discrepancy).
    if scheme.lower() != "bearer" or not hmac.compare_digest(presented.encode(), expected):
        return json_error(
            401,
            "unauthenticated",
            "A Bearer token is needed to read the metrics.",
            {"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    body = state.metrics.render()
    return Response(body, media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})


class RequestMetricsMiddleware:
    """Observes each HTTP request's duration by method and route template (pure ASGI).

    The route template (``/sessions/{handle}/revoke``), not the raw path, keeps the
    label values bounded; a request no route matched is ``unmatched``.

    Args:
        app: the ASGI app it wraps.
        metrics: the app's metrics.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self._histogram = metrics.request_duration
        # method -> template -> the histogram's child: two dict lookups per request and
        # no key object built (``labels()`` would validate and lock on every call).
        self._children: dict[str, dict[str, Any]] = {method: {} for method in _METHODS}
        self._children["OTHER"] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app, then observe how long it took."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            children = self._children.get(method)
            if children is None:  # a method no route serves: one bounded label value
                method, children = "OTHER", self._children["OTHER"]
            child = children.get(template)
            if child is None:
                child = children[template] = self._histogram.labels(method, template)
            child.observe(perf_counter() - start)
