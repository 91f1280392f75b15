"""Where a token is read from (passport-jwt's ``ExtractJwt``), as small async callables.

An extractor takes the request and returns the token string or ``None``. Transport and
token kind are separate axes (STYLE habit 11): any extractor works with any token.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import HTTPConnection, Request

from gatepass.strategies.local import read_fields

Extractor = Callable[[HTTPConnection], Awaitable[str | None]]


def from_auth_header(scheme: str = "Bearer") -> Extractor:
    """Read ``Authorization: <scheme> <token>``, the scheme case-insensitive (RFC 6750 §2.1)."""
    wanted = scheme.lower()  # once here, not on every request

    async def extract(request: HTTPConnection) -> str | None:
        # The raw ASGI list (names arrive lower-cased, ASGI spec), first match, as
        # ``request.headers.get`` would give, without building a ``Headers`` per request.
        for key, value in request.scope["headers"]:
            if key == b"authorization":
                found, _, token = value.decode("latin-1").partition(" ")
                token = token.strip()
                return token if token and found.lower() == wanted else None
        return None

    return extract


def from_bearer_header() -> Extractor:
    """Read ``Authorization: Bearer <token>`` (the default)."""
    return from_auth_header("Bearer")


def from_header(name: str) -> Extractor:
    """Read the whole value of header ``name`` (``X-Access-Token``)."""

    async def extract(request: HTTPConnection) -> str | None:
        return request.headers.get(name) or None

    return extract


def from_cookie(name: str) -> Extractor:
    """Read cookie ``name`` (pair it with CSRF protection: browsers send cookies on their own)."""

    async def extract(request: HTTPConnection) -> str | None:
        return request.cookies.get(name) or None

    return extract


def from_query(name: str = "access_token") -> Extractor:
    """Read query parameter ``name`` (RFC 6750 §2.3). URLs end up in logs: a last resort,
    for WebSockets, which cannot set headers in browsers."""

    async def extract(request: HTTPConnection) -> str | None:
        return request.query_params.get(name) or None

    return extract


def from_body(name: str = "access_token") -> Extractor:
    """Read form or JSON body field ``name`` (RFC 6750 §2.2)."""

    async def extract(request: HTTPConnection) -> str | None:
        if not isinstance(request, Request):
            return None
        fields = await read_fields(request, name)
        return fields.get(name) if isinstance(fields, dict) else None

    return extract


def chain(*extractors: Extractor) -> Extractor:
    """Try ``extractors`` in order; the first token found wins (``fromExtractors``)."""

    async def extract(request: HTTPConnection) -> str | None:
        for extractor in extractors:
            token = await extractor(request)
            if token:
                return token
        return None

    return extract


__all__ = [
    "Extractor",
    "chain",
    "from_auth_header",
    "from_bearer_header",
    "from_body",
    "from_cookie",
    "from_header",
    "from_query",
]
