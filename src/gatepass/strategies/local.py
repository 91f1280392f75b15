"""Username and password from a form or JSON body (passport-local)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.requests import HTTPConnection, Request

from gatepass.strategies._verify import verified
from gatepass.strategies.base import call_verify
from gatepass.strategies.outcomes import Fail, Outcome

Verify = Callable[..., Any | Awaitable[Any]]
_MAX_FIELDS = 100
# A login form is a few hundred bytes; 64 KiB leaves room for any real one while a
# hostile body cannot make the strategy buffer megabytes (CWE-400, resource exhaustion).
MAX_BODY_SIZE = 64 * 1024
_BODY_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The whole body, or ``None`` as soon as it is known to exceed ``limit`` bytes."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        return None  # refused before reading a byte
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None  # a chunked or lying body: stop reading here
        chunks.append(chunk)
    body = b"".join(chunks)
    # Starlette's own body cache (what Request.body() sets), so the app's later
    # request.json() or request.form() reads the same bytes again.
    request._body = body
    return body


async def read_fields(
    request: HTTPConnection, *names: str, max_body_size: int = MAX_BODY_SIZE
) -> dict[str, str] | Fail:
    """Read string fields from a JSON or form body of at most ``max_body_size`` bytes.

    Args:
        request: the request; a WebSocket has no body.
        *names: the fields wanted.
        max_body_size: the largest body read; a larger one is refused unread past it.

    Returns:
        The fields that are present and non-empty, a 400 ``Fail`` for a body that
        cannot be parsed, or a 413 ``Fail`` for one that is too large.
    """
    if not isinstance(request, Request) or request.method in {"GET", "HEAD"}:
        return {}
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    is_json = content_type == "application/json" or content_type.endswith("+json")
    if not is_json and content_type not in _BODY_TYPES:
        return {}
    body = await _read_body(request, max_body_size)
    if body is None:
        return Fail(
            status=413,
            message=f"The request body is larger than {max_body_size} bytes.",
            code="payload_too_large",
        )
    data: Any
    if is_json:
        try:
            # orjson caps nesting depth, where json.loads would raise RecursionError.
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            return Fail.missing("The request body is not valid JSON.")
    elif content_type == "application/x-www-form-urlencoded":
        # Parsed here so the core needs no python-multipart.
        try:
            text = body.decode("utf-8")
            data = dict(parse_qsl(text, keep_blank_values=True, max_num_fields=_MAX_FIELDS))
        except ValueError:  # bad UTF-8 or too many fields
            return Fail.missing("The form body cannot be read.")
    else:
        data = await request.form()  # needs python-multipart (the "server" extra)
    if not hasattr(data, "get"):
        return Fail.missing("The request body must be a JSON object.")
    fields = {}
    for name in names:
        value = data.get(name)
        if isinstance(value, str) and value:
            fields[name] = value
    return fields


class LocalStrategy:
    """Check a username and password posted as a form or JSON.

    Missing fields are a 400 ``missing_credentials`` failure, not an error. The strategy
    parses HTTP; ``verify`` owns the users.

    Args:
        verify: ``verify(username, password)`` (or ``verify(request, username,
            password)`` with ``pass_request``), sync or async, returns the user,
            ``None`` to refuse, or ``(user, info)``; it may raise.
        username_field: the body field holding the username (``"email"`` in the seed).
        password_field: the body field holding the password.
        pass_request: give the request to ``verify`` first.
        name: the registration name.
        max_body_size: the largest body read, in bytes; a larger one is a 413
            ``payload_too_large`` failure.
    """

    def __init__(
        self,
        verify: Verify,
        *,
        username_field: str = "username",
        password_field: str = "password",  # noqa: S107 - a field name, not a secret
        pass_request: bool = False,
        name: str = "local",
        max_body_size: int = MAX_BODY_SIZE,
    ) -> None:
        self.name = name
        self.max_body_size = max_body_size
        self._verify = verify
        self._username_field = username_field
        self._password_field = password_field
        self._pass_request = pass_request

    async def authenticate(self, request: HTTPConnection, **options: Any) -> Outcome:
        """Read the two fields and ask ``verify``.

        Args:
            request: the request.
            **options: ignored.

        Returns:
            ``Success``, or ``Fail`` (400 when a field is missing, 401 when refused).
        """
        fields = await read_fields(
            request,
            self._username_field,
            self._password_field,
            max_body_size=self.max_body_size,
        )
        if isinstance(fields, Fail):
            return fields
        username = fields.get(self._username_field)
        password = fields.get(self._password_field)
        if username is None or password is None:
            return Fail.missing()
        args = (request, username, password) if self._pass_request else (username, password)
        return verified(await call_verify(self._verify, *args))
