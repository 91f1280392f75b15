"""CSRF protection: a synchronizer token kept in the session, checked on unsafe requests.

``csrf_token(request)`` gives templates a token; ``CSRFMiddleware`` (placed *inside*
the session middleware) checks it in constant time on every POST/PUT/PATCH/DELETE that
carries the session cookie and on every form-like post even without one, which also
blocks login CSRF (OWASP ASVS 4.0.3 V4.2.2; OWASP CSRF Prevention Cheat Sheet,
"Synchronizer Token Pattern" and "Login CSRF").

The session keeps one random secret; each rendered token is that secret XOR-masked
with a fresh one-time pad, so the page never repeats the same bytes and compression
side channels cannot recover it (BREACH, CVE-2013-3587; the approach Django uses).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from collections.abc import Iterable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gatepass._http import CSRF_SESSION_KEY as CSRF_SESSION_KEY
from gatepass._http import SESSION_COOKIE_SCOPE_KEY, error_response
from gatepass.errors import CSRFError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})  # RFC 9110 §9.2.1
# Content types a cross-site page can send without a CORS preflight (Fetch standard,
# "CORS-safelisted request-header"): only these need checking when no cookie is sent.
SIMPLE_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)
FORM_CONTENT_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
SECRET_BYTES = 32
REFUSED_TITLE = "Request refused"
"""The heading of the page a browser gets for a refused request."""
LOST_COOKIE_MESSAGE = (
    "The form has expired: the session cookie is Secure and this request came over "
    "plain http, so it was not sent back. Use https, or SessionMiddleware(..., "
    "secure=False) for local tests."
)


def _session(connection: HTTPConnection) -> MutableMapping[str, Any]:
    if "session" not in connection.scope:
        raise RuntimeError(
            "CSRF protection needs a session: add gatepass.sessions.SessionMiddleware "
            "outside CSRFMiddleware (app.add_middleware(CSRFMiddleware) first, then "
            "app.add_middleware(SessionMiddleware, ...))."
        )
    session: MutableMapping[str, Any] = connection.scope["session"]
    return session


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


def _secret(session: MutableMapping[str, Any], *, create: bool) -> bytes | None:
    stored = session.get(CSRF_SESSION_KEY)
    secret = _b64decode(stored) if isinstance(stored, str) else None
    if secret is not None and len(secret) == SECRET_BYTES:
        return secret
    if not create:
        return None
    secret = secrets.token_bytes(SECRET_BYTES)
    session[CSRF_SESSION_KEY] = _b64encode(secret)
    return secret


def csrf_token(connection: HTTPConnection) -> str:
    """Return a token for a form or a ``X-CSRF-Token`` header, minting the secret if needed.

    Every call gives a different string (masked); all are valid for this session until
    the session is regenerated (login) or destroyed (logout).

    Args:
        connection: the current request.

    Returns:
        A URL-safe token.

    Raises:
        RuntimeError: no session middleware is installed.
    """
    secret = _secret(_session(connection), create=True)
    assert secret is not None
    pad = secrets.token_bytes(SECRET_BYTES)
    return _b64encode(pad + bytes(a ^ b for a, b in zip(pad, secret, strict=True)))


def verify_csrf_token(connection: HTTPConnection, token: str | None) -> bool:
    """Check a presented token against the session's secret in constant time.

    Args:
        connection: the current request.
        token: the token from the header or form, if any.

    Returns:
        Whether the token is valid for this session.

    Raises:
        RuntimeError: no session middleware is installed.
    """
    secret = _secret(_session(connection), create=False)
    raw = _b64decode(token) if token and token.isascii() else None
    if secret is None or raw is None or len(raw) != 2 * SECRET_BYTES:
        return False
    pad, masked = raw[:SECRET_BYTES], raw[SECRET_BYTES:]
    unmasked = bytes(a ^ b for a, b in zip(pad, masked, strict=True))
    # Constant-time comparison: no timing oracle on the secret (OWASP ASVS 4.0.3 V6.2.8).
    return hmac.compare_digest(unmasked, secret)


def rotate_csrf_token(connection: HTTPConnection) -> None:
    """Forget the session's CSRF secret; the next :func:`csrf_token` mints a new one.

    Args:
        connection: the current request.

    Raises:
        RuntimeError: no session middleware is installed.
    """
    _session(connection).pop(CSRF_SESSION_KEY, None)


class CSRFMiddleware:
    """Reject unsafe requests without a valid CSRF token (pure ASGI).

    Place it inside ``SessionMiddleware``. The token is read from the ``X-CSRF-Token``
    header, or from the ``csrf_token`` field of an urlencoded or multipart form; the
    form body is buffered (up to ``max_body_size``) and replayed to the app unchanged.

    Args:
        app: the wrapped ASGI app.
        exempt_paths: exact paths never checked (e.g. a webhook with its own signature).
        header_name: the header that may carry the token.
        field_name: the form field that may carry the token.
        max_body_size: the largest form body buffered to look for the token; larger
            forms must send the token in the header.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        exempt_paths: Iterable[str] = (),
        header_name: str = "X-CSRF-Token",
        field_name: str = "csrf_token",
        max_body_size: int = 1024 * 1024,
    ) -> None:
        self.app = app
        self.exempt_paths = frozenset(exempt_paths)
        self.header_name = header_name
        self.field_name = field_name
        self.max_body_size = max_body_size

    def _must_check(self, scope: Scope, headers: Headers, content_type: str) -> bool:
        if scope["method"] in SAFE_METHODS or scope["path"] in self.exempt_paths:
            return False
        cookies = HTTPConnection(scope).cookies
        cookie_name = scope.get(SESSION_COOKIE_SCOPE_KEY)
        has_session_cookie = cookie_name in cookies if cookie_name else bool(cookies)
        if has_session_cookie:
            return True
        # A cross-site page cannot set Authorization; a bearer-only API request is not
        # forgeable by a browser (OWASP CSRF Prevention Cheat Sheet).
        if headers.get("authorization", "").lower().startswith("bearer "):
            return False
        # No cookie: still check what a cross-site form could send, which stops login
        # CSRF; other types (e.g. JSON) and methods need a CORS preflight that a foreign
        # page does not pass (Fetch standard, "CORS-safelisted method").
        if content_type in SIMPLE_CONTENT_TYPES:
            return True
        return not content_type and scope["method"] == "POST"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if not self._must_check(scope, headers, content_type):
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        token = headers.get(self.header_name)
        buffered: list[Message] = []
        if token is None and content_type in FORM_CONTENT_TYPES:
            buffered, too_large = await self._buffer(receive)
            if too_large:
                await self._reject(scope, receive, send, "The form is too large to check.")
                return
            token = await self._form_token(scope, buffered, content_type)
        if not verify_csrf_token(connection, token):
            await self._reject(scope, receive, send, _lost_cookie(connection))
            return
        await self.app(scope, _replay(buffered, receive), send)

    async def _buffer(self, receive: Receive) -> tuple[list[Message], bool]:
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return messages, False
            size += len(message.get("body", b""))
            if size > self.max_body_size:
                return messages, True
            if not message.get("more_body", False):
                return messages, False

    async def _form_token(
        self, scope: Scope, buffered: list[Message], content_type: str
    ) -> str | None:
        body = b"".join(m.get("body", b"") for m in buffered if m["type"] == "http.request")
        if content_type == "application/x-www-form-urlencoded":
            fields = parse_qsl(body.decode("latin-1"), keep_blank_values=True)
            return next((value for name, value in fields if name == self.field_name), None)
        request = Request(scope, _replay(list(buffered), _disconnected))
        try:
            async with request.form(max_files=1000, max_fields=1000) as form:
                value = form.get(self.field_name)
        except (HTTPException, MultiPartException, ValueError):
            # A malformed form simply carries no token: refused below with 403.
            return None
        return value if isinstance(value, str) else None

    async def _reject(
        self, scope: Scope, receive: Receive, send: Send, message: str | None
    ) -> None:
        response = error_response(HTTPConnection(scope), CSRFError(message), title=REFUSED_TITLE)
        await response(scope, receive, send)


def _lost_cookie(connection: HTTPConnection) -> str | None:
    # A prefixed (Secure) session cookie never comes back over plain http: say so,
    # rather than "the form has expired" with no cause.
    name = connection.scope.get(SESSION_COOKIE_SCOPE_KEY)
    if not name or not name.startswith(("__Host-", "__Secure-")):
        return None
    if connection.scope.get("scheme") != "http" or name in connection.cookies:
        return None
    return LOST_COOKIE_MESSAGE


async def _disconnected() -> Message:
    return {"type": "http.disconnect"}


def _replay(buffered: list[Message], receive: Receive) -> Receive:
    pending = list(buffered)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
