"""Outcomes into HTTP, in one place: failure bodies, challenges, errors, halts.

``wants_html`` is the one HTML-or-JSON choice gatepass makes everywhere (sessions and
CSRF answer with it too); it lives in ``gatepass._http`` and is re-exported here.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence

from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection
from starlette.responses import HTMLResponse, JSONResponse, Response

from gatepass._http import wants_html
from gatepass.errors import (
    AuthenticationError,
    ConfigurationError,
    GatepassError,
    RateLimitedError,
)
from gatepass.strategies.outcomes import MISSING_CREDENTIALS, Fail, deciding_failure

logger = logging.getLogger("gatepass.authenticator")

INTERNAL_ERROR = {"error": "internal_error", "message": "An internal error occurred."}
_HTML_ERROR = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>{title}</title>"
    "<h1>{title}</h1><p>{message}</p></html>"
)


class Halt(HTTPException):
    """Stop a FastAPI dependency with a finished response (redirect, 401, 403, 500).

    Without :func:`gatepass.integrations.install_error_handlers` the framework's own
    ``HTTPException`` handler still answers with the right status and headers; with
    it, the client gets exactly ``response``.

    Args:
        response: the response to send.
        message: the text for frameworks that render ``detail`` themselves.
    """

    def __init__(self, response: Response, message: str = "") -> None:
        headers = {
            key: value
            for key, value in response.headers.items()
            if key.lower() in {"location", "www-authenticate", "retry-after"}
        }
        super().__init__(response.status_code, message or None, headers or None)
        self.response = response


def challenge_header(challenges: Sequence[str]) -> dict[str, str]:
    """Build the ``WWW-Authenticate`` header listing every challenge.

    One header field may carry several comma-separated challenges (RFC 9110 §11.6.1).

    Args:
        challenges: the strategies' challenges, in order.

    Returns:
        The header dict, empty when there is no challenge.
    """
    unique = list(dict.fromkeys(c for c in challenges if c))
    return {"WWW-Authenticate": ", ".join(unique)} if unique else {}


def failure_response(failures: Sequence[Fail]) -> JSONResponse:
    """The one response for "every strategy failed".

    A single missing-credentials failure is a 400. In a chain, the first strategy that
    found credentials speaks (its status, code and message: a bad bearer token beside an
    absent Basic header says what is wrong with the token); when none found any, one
    401. The ``WWW-Authenticate`` header lists every challenge (RFC 9110 §11.6.1).

    Args:
        failures: the failures, in strategy order.

    Returns:
        A JSON ``{"error": code, "message": text}`` response.
    """
    headers = challenge_header([f.challenge or "" for f in failures])
    if len(failures) == 1:
        only = failures[0]
        status = 400 if only.code == MISSING_CREDENTIALS else only.status
        message = only.message or "Invalid credentials."
        return JSONResponse({"error": only.code, "message": message}, status, headers)
    chosen = deciding_failure(failures) if failures else None
    if chosen is not None and chosen.found_credentials:
        message = chosen.message or "Invalid credentials."
        return JSONResponse({"error": chosen.code, "message": message}, chosen.status, headers)
    message = next((f.message for f in failures if f.message), "Authentication is required.")
    body = {"error": "unauthenticated", "message": message}
    return JSONResponse(body, 401, headers)


def error_response(connection: HTTPConnection, exc: BaseException) -> Response:
    """Answer for an exception raised while authenticating.

    A :class:`~gatepass.errors.GatepassError` keeps its status and ``to_dict()`` body.
    A ``ConfigurationError`` (its message is for the developer) and any other exception
    are logged with their traceback and answered with a generic 500: the client never
    sees exception text or a stack trace (OWASP ASVS 7.4.1).

    Args:
        connection: the request.
        exc: the exception.

    Returns:
        A JSON response, or an HTML page for a browser.
    """
    if isinstance(exc, GatepassError) and not isinstance(exc, ConfigurationError):
        status, body = exc.status_code, exc.to_dict()
        headers: dict[str, str] = {}
        if isinstance(exc, AuthenticationError):
            headers.update(challenge_header(exc.challenges))
        if isinstance(exc, RateLimitedError):
            headers["Retry-After"] = str(exc.retry_after)
        if status >= 500:
            logger.error("gatepass error %s: %s", exc.code, exc.message, exc_info=exc)
    else:
        logger.error("Error while authenticating: %s: %s", type(exc).__name__, exc, exc_info=exc)
        status, body, headers = 500, dict(INTERNAL_ERROR), {}
    if wants_html(connection):
        page = _HTML_ERROR.format(
            title=html.escape(body["error"].replace("_", " ").capitalize()),
            message=html.escape(body["message"]),
        )
        return HTMLResponse(page, status, headers)
    return JSONResponse(body, status, headers)
