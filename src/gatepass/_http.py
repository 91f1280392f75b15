"""Small HTTP header decisions shared by the layers that answer requests themselves.

Sessions, CSRF and the authenticator each render errors and must pick HTML or JSON
the same way; the WebSocket session check needs to know whether a handshake comes
from this site. Both live here, below every layer that uses them (imports point down).
"""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection

__all__ = ["normalize_origin", "same_origin", "wants_html"]

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


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
