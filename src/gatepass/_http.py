"""HTTP decisions shared by the layers that answer requests themselves.

Sessions, CSRF, the authenticator and the server all answer errors through the one
renderer here (:func:`error_response`, :func:`render_error`), so the HTML-or-JSON
choice, the body and the headers agree everywhere; the WebSocket session check needs
to know whether a handshake comes from this site. Both live here, below every layer
that uses them (imports point down).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Collection, Mapping, Sequence
from typing import Final
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection
from starlette.responses import HTMLResponse, JSONResponse, Response

from gatepass.errors import (
    AuthenticationError,
    ConfigurationError,
    GatepassError,
    RateLimitedError,
)

__all__ = [
    "CSRF_SESSION_KEY",
    "INTERNAL_ERROR",
    "NO_STORE",
    "SESSION_COOKIE_SCOPE_KEY",
    "challenge_header",
    "error_response",
    "json_error",
    "normalize_origin",
    "render_error",
    "same_origin",
    "wants_html",
]

logger = logging.getLogger("gatepass.errors")

NO_STORE: Final = {"Cache-Control": "no-store", "Pragma": "no-cache"}
"""Headers of a response no cache may keep (RFC 9111 §5.2.2.5; RFC 6749 §5.1)."""
SESSION_COOKIE_SCOPE_KEY: Final = "gatepass.session_cookie"
# The session key of the CSRF secret: owned by gatepass.security.csrf, named here so the
# session middleware can keep it in an anonymous visitor's signed cookie.
CSRF_SESSION_KEY: Final = "_gatepass_csrf"
"""Scope key where the session middleware names the cookie it reads (CSRF looks there)."""
INTERNAL_ERROR: Final = {"error": "internal_error", "message": "An internal error occurred."}
UNAVAILABLE_RETRY_AFTER: Final = 5
"""Seconds a client is asked to wait after a 503 (RFC 9110 §10.2.3)."""
ERROR_OBSERVER: Final = "gatepass_error_observer"
"""An app may watch the 5xx errors it answers (a metrics counter): it sets
``app.state.<ERROR_OBSERVER>`` to a callable taking the exception."""
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_HTML_ERROR = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>{title}</title>"
    "<h1>{title}</h1><p>{message}</p></html>"
)


def wants_html(connection: HTTPConnection) -> bool:
    """Tell whether the client prefers an HTML page to JSON (a browser, not an API client).

    ``Accept`` quality values decide (RFC 9110 §12.5.1): HTML wins when it is ranked at
    least as high as JSON. A bare ``*/*`` counts a hair below an explicit type, so a
    browser's ``text/html,...,*/*;q=0.8`` gets HTML and ``curl``'s ``*/*`` gets JSON.

    Args:
        connection: the request or WebSocket.

    Returns:
        True when ``Accept`` ranks ``text/html`` above ``application/json``.
    """
    accept = connection.headers.get("accept", "")
    best_html = best_json = -1.0
    for item in accept.split(","):
        media, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        media = media.strip().lower()
        if media in _HTML_TYPES:
            best_html = max(best_html, quality)
        elif media in {"application/json", "*/*"} or media.endswith("+json"):
            best_json = max(best_json, quality if media != "*/*" else quality - 0.001)
    return best_html > 0 and best_html >= best_json


def normalize_origin(origin: str) -> str | None:
    """The ``scheme://host[:port]`` form of an origin, for comparing two of them.

    Scheme and host are lower-cased and a default port (80 for http, 443 for https) is
    dropped, as browsers serialize origins (RFC 6454 §6.1).

    Args:
        origin: an ``Origin`` header value or a configured origin.

    Returns:
        The normal form, or ``None`` for ``null`` or text that is no http(s) origin.
    """
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"} or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    default = 80 if scheme == "http" else 443
    return f"{scheme}://{host}" if port in (None, default) else f"{scheme}://{host}:{port}"


def same_origin(connection: HTTPConnection, allowed_origins: Collection[str] = ()) -> bool:
    """Tell whether a request comes from this site, judged by its ``Origin`` header.

    The origin is accepted when its ``host[:port]`` is the request's ``Host`` (the
    same-host rule of gorilla/websocket's default ``CheckOrigin`` and Rails' Action
    Cable), or when it is one of ``allowed_origins``. A request without ``Origin``
    is not from a browser page (browsers always send it on WebSocket handshakes,
    RFC 6455 §4.1 item 8) and is accepted; ``Origin: null`` is not.

    Args:
        connection: the request or WebSocket handshake.
        allowed_origins: more origins, in normal form (see :func:`normalize_origin`).

    Returns:
        True when the request is same-origin, allowed, or carries no ``Origin``.
    """
    raw = connection.headers.get("origin")
    if raw is None:
        return True
    origin = normalize_origin(raw)
    if origin is None:
        return False
    if origin in allowed_origins:
        return True
    host = connection.headers.get("host", "").strip().lower()
    netloc = origin.partition("://")[2]
    return bool(host) and netloc == _without_default_port(host, origin)


def _without_default_port(host: str, origin: str) -> str:
    # A Host of "example.com:443" names the same place as "example.com" for https.
    default = ":443" if origin.startswith("https:") else ":80"
    return host.removesuffix(default) if host.endswith(default) else host


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


def json_error(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The JSON form of :func:`render_error`: ``{"error": code, "message": text}``, no-store.

    Args:
        status: the HTTP status.
        code: the machine code.
        message: the text for a person.
        headers: more headers.

    Returns:
        The response.
    """
    merged = {**NO_STORE, **headers} if headers else NO_STORE
    return JSONResponse({"error": code, "message": message}, status, merged)


def render_error(
    connection: HTTPConnection | None,
    status: int,
    code: str,
    message: str,
    *,
    headers: Mapping[str, str] | None = None,
    json_only: bool = False,
    title: str | None = None,
) -> Response:
    """Answer an error as ``{"error": code, "message": text}``, or a short page for a browser.

    Every error response carries ``Cache-Control: no-store``: a refusal, a challenge or
    a rate limit must not be kept and replayed by a cache (RFC 9111 §5.2.2.5; OWASP
    ASVS 5.0 14.3.2).

    Args:
        connection: the request; its ``Accept`` picks HTML or JSON (``None``: JSON).
        status: the HTTP status.
        code: the machine code.
        message: the text for a person; never exception text from a library.
        headers: more headers (``WWW-Authenticate``, ``Retry-After``).
        json_only: always JSON, whatever ``Accept`` says (API routes).
        title: the page's heading; by default the code in words.

    Returns:
        The response.
    """
    if json_only or connection is None or not wants_html(connection):
        return json_error(status, code, message, headers)
    heading = title or code.replace("_", " ").capitalize()
    page = _HTML_ERROR.format(title=html.escape(heading), message=html.escape(message))
    return HTMLResponse(page, status, {**NO_STORE, **headers} if headers else NO_STORE)


def error_response(
    connection: HTTPConnection | None,
    exc: BaseException,
    *,
    json_only: bool = False,
    title: str | None = None,
) -> Response:
    """Answer an exception: a gatepass error as itself, anything else as a generic 500.

    A :class:`~gatepass.errors.GatepassError` keeps its status, code and message, with
    its challenges in ``WWW-Authenticate`` and its wait in ``Retry-After``. A
    ``ConfigurationError`` (its message is for the developer) and any other exception
    are logged with their traceback and answered with a generic 500: the client never
    sees exception text or a stack trace (OWASP ASVS 4.0.3 V7.4.1).

    Args:
        connection: the request (``None``: JSON).
        exc: the exception.
        json_only: always JSON (API routes).
        title: the page's heading for a browser.

    Returns:
        The response.
    """
    if not isinstance(exc, GatepassError) or isinstance(exc, ConfigurationError):
        logger.error("Unexpected error: %s: %s", type(exc).__name__, exc, exc_info=exc)
        return render_error(
            connection,
            500,
            INTERNAL_ERROR["error"],
            INTERNAL_ERROR["message"],
            json_only=json_only,
            title=title,
        )
    headers: dict[str, str] = {}
    if isinstance(exc, AuthenticationError):
        headers.update(challenge_header(exc.challenges))
    if isinstance(exc, RateLimitedError):
        headers["Retry-After"] = str(exc.retry_after)
    elif exc.status_code == 503:
        headers["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER)
    if exc.status_code >= 500:
        logger.error("gatepass error %s: %s", exc.code, exc.message, exc_info=exc)
        _observe(connection, exc)
    return render_error(
        connection,
        exc.status_code,
        exc.code,
        exc.message,
        headers=headers,
        json_only=json_only,
        title=title,
    )


def _observe(connection: HTTPConnection | None, exc: GatepassError) -> None:
    app = connection.scope.get("app") if connection is not None else None
    observer = getattr(getattr(app, "state", None), ERROR_OBSERVER, None)
    if observer is not None:
        observer(exc)
