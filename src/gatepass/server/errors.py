"""Every error the server answers is ``{"error": code, "message": text}`` with its status.

Gatepass errors keep their code and status; FastAPI's validation errors become 400
(unreadable JSON) or 422 (missing or wrong fields) in the same shape instead of the
default ``detail`` list; HTTP errors (404, 405) get a code; anything unexpected is
logged with its traceback and answered with a generic 500 (OWASP ASVS 7.4.1: no stack
trace or exception text reaches a client).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gatepass.authenticator import error_response
from gatepass.authenticator.responses import INTERNAL_ERROR, Halt
from gatepass.errors import GatepassError
from gatepass.integrations import install_error_handlers

logger = logging.getLogger("gatepass.server")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: str
    message: str


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` documenting error statuses with :class:`ErrorBody`.

    Args:
        *statuses: the error statuses a route may answer.

    Returns:
        The mapping for a FastAPI route decorator.
    """
    return {status: {"model": ErrorBody} for status in statuses}


def _describe(error: dict[str, Any]) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
    text = str(error.get("msg", "is not valid"))
    return f"{where}: {text}" if where else text


async def _validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(error.get("type") == "json_invalid" for error in errors):
        body = {"error": "invalid_json", "message": "The request body is not valid JSON."}
        return JSONResponse(body, 400)
    message = "; ".join(_describe(error) for error in errors[:5]) or "The request is not valid."
    return JSONResponse({"error": "invalid_request", "message": message}, 422)


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else "The request cannot be served."
    if exc.status_code == 404:
        message = "Nothing is here."
    return JSONResponse({"error": code, "message": message}, exc.status_code, exc.headers)


# Paths whose clients are programs: always JSON, whatever ``Accept`` says.
API_PREFIXES = ("/auth/", "/api/", "/.well-known/", "/healthz")


async def _error(request: Request, exc: Exception) -> Response:
    # The library's answer (logged when 5xx; generic text for anything unexpected),
    # forced to JSON on API paths even for a client that prefers HTML.
    response = error_response(request, exc)
    if not request.url.path.startswith(API_PREFIXES) or isinstance(response, JSONResponse):
        return response
    known = isinstance(exc, GatepassError) and response.status_code < 500
    body = exc.to_dict() if isinstance(exc, GatepassError) and known else INTERNAL_ERROR
    headers = {k: v for k, v in response.headers.items() if k in _KEPT_HEADERS}
    return JSONResponse(body, response.status_code, headers)


_KEPT_HEADERS = frozenset({"www-authenticate", "retry-after"})
_REFUSED_MESSAGE = "The access token is not valid: malformed, expired or revoked."


async def _halt(request: Request, exc: Exception) -> Response:
    # A guard's finished answer; on the API a refused token's body says what its
    # challenge says (RFC 6750 §3.1 "invalid_token"), not "no credentials".
    assert isinstance(exc, Halt)
    response = exc.response
    challenge = response.headers.get("www-authenticate", "")
    api = request.url.path.startswith(API_PREFIXES)
    if api and response.status_code == 401 and 'error="invalid_token"' in challenge:
        headers = {k: v for k, v in response.headers.items() if k in _KEPT_HEADERS}
        body = {"error": "invalid_token", "message": _REFUSED_MESSAGE}
        return JSONResponse(body, 401, headers)
    return response


def install(app: FastAPI) -> None:
    """Install the handlers on the app.

    Args:
        app: the server app.
    """
    install_error_handlers(app, catch_all=True)
    app.add_exception_handler(Halt, _halt)
    app.add_exception_handler(GatepassError, _error)
    app.add_exception_handler(Exception, _error)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
