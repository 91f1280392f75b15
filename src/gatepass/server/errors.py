"""Every error the server answers is ``{"error": code, "message": text}`` with its status.

Gatepass errors keep their code and status; FastAPI's validation errors become 400
(unreadable JSON) or 422 (missing or wrong fields) in the same shape instead of the
default ``detail`` list; HTTP errors (404, 405) get a code; anything unexpected is
logged with its traceback and answered with a generic 500 (OWASP ASVS 7.4.1: no stack
trace or exception text reaches a client). Every answer comes from the one renderer in
:mod:`gatepass._http`; API paths ask it for JSON whatever ``Accept`` says.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from gatepass._http import error_response, json_error
from gatepass.authenticator.responses import Halt
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


_INVALID_JSON = "The request body is not valid JSON."


async def _validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(error.get("type") == "json_invalid" for error in errors):
        return json_error(400, "invalid_json", _INVALID_JSON)
    message = "; ".join(_describe(error) for error in errors[:5]) or "The request is not valid."
    return json_error(422, "invalid_request", message)


def _unreadable_json(request: Request, exc: HTTPException) -> bool:
    # FastAPI answers a JSON body that json.loads refuses other than by syntax with a
    # bare 400, the cause chained: nesting too deep (RecursionError), bytes that are not
    # UTF-8 (UnicodeDecodeError), an integer past the digit limit (ValueError;
    # CVE-2020-10735). To the client all three are unreadable JSON.
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    is_json = kind in {"", "application/json"} or kind.endswith("+json")
    cause = exc.__cause__
    return exc.status_code == 400 and is_json and isinstance(cause, ValueError | RecursionError)


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if _unreadable_json(request, exc):
        return json_error(400, "invalid_json", _INVALID_JSON)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else "The request cannot be served."
    if exc.status_code == 404:
        message = "Nothing is here."
    return json_error(exc.status_code, code, message, exc.headers)


# Paths whose clients are programs: always JSON, whatever ``Accept`` says.
API_PREFIXES = ("/auth/", "/api/", "/.well-known/", "/healthz")


async def _error(request: Request, exc: Exception) -> Response:
    # The library's answer (logged when 5xx; generic text for anything unexpected),
    # JSON on API paths even for a client that prefers HTML.
    return error_response(request, exc, json_only=request.url.path.startswith(API_PREFIXES))


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
        return json_error(401, "invalid_token", _REFUSED_MESSAGE, headers)
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
