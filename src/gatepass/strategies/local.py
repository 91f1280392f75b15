"""Username and password from a form or JSON body (passport-local)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import HTTPConnection, Request

from gatepass.strategies._verify import verified
from gatepass.strategies.base import maybe_await
from gatepass.strategies.outcomes import Fail, Outcome

Verify = Callable[..., Any | Awaitable[Any]]
_MAX_FIELDS = 100


async def read_fields(request: HTTPConnection, *names: str) -> dict[str, str] | Fail:
    """Read string fields from a JSON or form body.

    Args:
        request: the request; a WebSocket has no body.
        *names: the fields wanted.

    Returns:
        The fields that are present and non-empty, or a 400 ``Fail`` for a body that
        cannot be parsed.
    """
    if not isinstance(request, Request) or request.method in {"GET", "HEAD"}:
        return {}
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    data: Any
    if content_type == "application/json" or content_type.endswith("+json"):
        try:
            data = await request.json()
        except ValueError:
            return Fail.missing("The request body is not valid JSON.")
    elif content_type == "application/x-www-form-urlencoded":
        # Parsed here so the core needs no python-multipart; the body stays cached on
        # the request for the app's own request.form().
        try:
            text = (await request.body()).decode("utf-8")
            data = dict(parse_qsl(text, keep_blank_values=True, max_num_fields=_MAX_FIELDS))
        except ValueError:  # bad UTF-8 or too many fields
            return Fail.missing("The form body cannot be read.")
    elif content_type == "multipart/form-data":
        data = await request.form()  # needs python-multipart (the "server" extra)
    else:
        return {}
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
    """

    def __init__(
        self,
        verify: Verify,
        *,
        username_field: str = "username",
        password_field: str = "password",  # noqa: S107 - a field name, not a secret
        pass_request: bool = False,
        name: str = "local",
    ) -> None:
        self.name = name
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
        fields = await read_fields(request, self._username_field, self._password_field)
        if isinstance(fields, Fail):
            return fields
        username = fields.get(self._username_field)
        password = fields.get(self._password_field)
        if username is None or password is None:
            return Fail.missing()
        args = (request, username, password) if self._pass_request else (username, password)
        return verified(await maybe_await(self._verify(*args)))
