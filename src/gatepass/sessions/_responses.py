"""Error responses the session middleware sends itself (JSON, or a short page for browsers)."""

from __future__ import annotations

import html

from starlette.requests import HTTPConnection
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Scope

from gatepass._http import wants_html
from gatepass.errors import GatepassError


def error_response(scope: Scope, error: GatepassError) -> Response:
    """Render an error as ``{"error": code, "message": text}`` or a short HTML page.

    Args:
        scope: the request scope (its ``Accept`` header picks the format, as
            :func:`gatepass._http.wants_html` decides everywhere).
        error: the error to show; only its code and message reach the client.

    Returns:
        A response with the error's status and ``Cache-Control: no-store``.
    """
    headers = {"cache-control": "no-store"}
    if error.status_code == 503:
        headers["retry-after"] = "5"
    if wants_html(HTTPConnection(scope)):
        page = (
            "<!doctype html><meta charset=utf-8><title>{title}</title>"
            "<h1>{title}</h1><p>{message}</p>"
        ).format(
            title=html.escape(error.code.replace("_", " ")), message=html.escape(error.message)
        )
        return HTMLResponse(page, status_code=error.status_code, headers=headers)
    return JSONResponse(error.to_dict(), status_code=error.status_code, headers=headers)
