"""Outcomes into HTTP: the failure answer, halts; errors through the one renderer.

Every error response gatepass writes (here, in sessions, CSRF and the server) comes
from :mod:`gatepass._http`; ``error_response`` and ``challenge_header`` are that
renderer's, kept here under their public names.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response

from gatepass._http import INTERNAL_ERROR, challenge_header, error_response, json_error
from gatepass.strategies.outcomes import MISSING_CREDENTIALS, Fail, deciding_failure

__all__ = [
    "INTERNAL_ERROR",
    "Halt",
    "challenge_header",
    "error_response",
    "failure_response",
]


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
            if key.lower() in {"location", "www-authenticate", "retry-after", "cache-control"}
        }
        super().__init__(response.status_code, message or None, headers or None)
        self.response = response


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
        return json_error(status, only.code, message, headers)
    chosen = deciding_failure(failures) if failures else None
    if chosen is not None and chosen.found_credentials:
        message = chosen.message or "Invalid credentials."
        return json_error(chosen.status, chosen.code, message, headers)
    message = next((f.message for f in failures if f.message), "Authentication is required.")
    return json_error(401, "unauthenticated", message, headers)
