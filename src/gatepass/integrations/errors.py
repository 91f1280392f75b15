"""Exception handlers that answer gatepass errors as JSON and hide everything else."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from gatepass.authenticator.responses import Halt, error_response
from gatepass.errors import GatepassError


async def _halt(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Halt)
    return exc.response


async def _gatepass_error(request: Request, exc: Exception) -> Response:
    return error_response(request, exc)


async def _unhandled(request: Request, exc: Exception) -> Response:
    # Logged with its traceback; the client gets a generic 500 (OWASP ASVS 7.4.1).
    return error_response(request, exc)


def install_error_handlers(app: Starlette, *, catch_all: bool = True) -> None:
    """Make a Starlette or FastAPI app answer gatepass's way.

    ``Halt`` (raised by guards and ``authenticate`` used as dependencies) sends its
    response; a ``GatepassError`` becomes ``{"error": code, "message": text}`` with its
    status; with ``catch_all`` any other exception is logged and answered with a
    generic 500 page that shows no exception text.

    Args:
        app: the application (``FastAPI`` is a ``Starlette``).
        catch_all: also handle every other exception.
    """
    app.add_exception_handler(Halt, _halt)
    app.add_exception_handler(GatepassError, _gatepass_error)
    if catch_all:
        app.add_exception_handler(Exception, _unhandled)
