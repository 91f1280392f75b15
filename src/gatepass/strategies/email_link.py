"""Sign-in by email: a mailed link's token, or the mailed 6-digit code with the address.

Passport's magic-link strategies split the two halves the same way: the app mails what
:meth:`OneTimeTokens.issue` and :meth:`~OneTimeTokens.issue_code` give it; this strategy
redeems what comes back. Tokens are single-use and bound to the account state the app
names (``state_of``), so a link dies when, say, the password or the address changes.
Guessing codes must be throttled by the app (a rate limiter per address and account,
OWASP ASVS 5.0 6.1.1): six digits are only a million tries.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

from starlette.requests import HTTPConnection

from gatepass.errors import OneTimeTokenError
from gatepass.mail.onetime import OneTimeTokens, Purpose, StateOf
from gatepass.strategies.base import maybe_await
from gatepass.strategies.local import read_fields
from gatepass.strategies.outcomes import Fail, Outcome, Success

__all__ = ["EmailLinkStrategy"]

FindUser = Callable[[str], Any | Awaitable[Any]]
"""``find(key)``: the user of a user id (after a redeemed token) or of an email (a code)."""
PURPOSE: Final[Purpose] = "login_email"


def _user_id(user: Any) -> str:
    return str(user["id"] if isinstance(user, Mapping) else user.id)


class EmailLinkStrategy:
    """Authenticate ``token`` (query or body), or ``email`` + ``code`` (body).

    Args:
        tokens: the one-time tokens that issued the link and code.
        state_of: the account state a token was bound to, by user id.
        find_by_id: the user of an id; ``None`` refuses (deleted, disabled).
        find_by_email: the user of a typed address, for codes; ``None`` refuses alike.
        id_of: a user's id, as the tokens were issued to (``user.id`` or ``user["id"]``).
        name: the registration name.
    """

    def __init__(
        self,
        tokens: OneTimeTokens,
        *,
        state_of: StateOf,
        find_by_id: FindUser,
        find_by_email: FindUser,
        id_of: Callable[[Any], str] = _user_id,
        name: str = "email_link",
    ) -> None:
        self.name = name
        self._tokens = tokens
        self._state_of = state_of
        self._find_by_id = find_by_id
        self._find_by_email = find_by_email
        self._id_of = id_of

    async def authenticate(self, request: HTTPConnection, **options: Any) -> Outcome:
        """Redeem the link's token or the typed code.

        Returns:
            ``Success(user, {"method": "link" | "code"})``, a 400 ``Fail`` for a spent,
            expired or wrong one, or ``Fail(sent=False)`` when nothing was sent.
        """
        fields = await read_fields(request, "token", "email", "code")
        if isinstance(fields, Fail):
            return fields
        token = fields.get("token") or request.query_params.get("token")
        try:
            if token:
                method = "link"
                spent = await self._tokens.redeem(PURPOSE, token, state_of=self._state_of)
            elif fields.get("email") and fields.get("code"):
                method = "code"
                owner = await maybe_await(self._find_by_email(fields["email"]))
                # An unknown address still costs a store lookup, as a wrong code does.
                subject = self._id_of(owner) if owner is not None else "\x00nobody"
                spent = await self._tokens.redeem_code(
                    PURPOSE, subject, fields["code"], state_of=self._state_of
                )
            else:
                return Fail(message="A sign-in link or code is required.", status=400, sent=False)
        except OneTimeTokenError as error:
            return Fail(message=error.message, status=400, code=error.code)
        user = await maybe_await(self._find_by_id(spent.subject))
        if user is None:
            return Fail(message=OneTimeTokenError.default_message, status=400, code="invalid_token")
        return Success(user, {"method": method})
