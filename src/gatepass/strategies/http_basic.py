"""HTTP Basic authentication (RFC 7617)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import HTTPConnection

from gatepass.strategies._verify import verified
from gatepass.strategies.base import call_verify
from gatepass.strategies.outcomes import Fail, Outcome

Verify = Callable[[str, str], Any | Awaitable[Any]]


class HTTPBasicStrategy:
    """Read ``Authorization: Basic base64(user:password)`` and ask ``verify``.

    Args:
        verify: ``verify(username, password)``, sync or async: the user, ``None``
            or ``(user, info)``. A sync one runs in a worker thread.
        realm: the protection space named in the challenge.
        name: the registration name.
    """

    def __init__(self, verify: Verify, *, realm: str = "gatepass", name: str = "basic") -> None:
        self.name = name
        self._verify = verify
        # RFC 7617 §2.1: announce UTF-8 so clients encode non-ASCII credentials alike.
        self.challenge = f'Basic realm="{realm}", charset="UTF-8"'

    async def authenticate(self, request: HTTPConnection, **options: Any) -> Outcome:
        """Decode the header and verify the pair.

        Args:
            request: the request.
            **options: ignored.

        Returns:
            ``Success``, or ``Fail`` carrying the ``Basic`` challenge.
        """
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic" or not value.strip():
            return Fail(
                challenge=self.challenge, message="Basic credentials are required.", sent=False
            )
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return Fail(challenge=self.challenge, message="Malformed Basic credentials.")
        # RFC 7617 §2: the user-id cannot contain ":"; the password may.
        username, colon, password = decoded.partition(":")
        if not colon or not username:
            return Fail(challenge=self.challenge, message="Malformed Basic credentials.")
        result = await call_verify(self._verify, username, password)
        return verified(result, challenge=self.challenge)
