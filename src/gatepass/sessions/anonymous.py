"""An anonymous visitor's session in a signed cookie, so a visit alone stores nothing.

A cookieless ``GET /login`` needs a CSRF secret, and a failed login a flash message:
kept server-side, every such request would write a row that lives until it times out,
and a loop of requests fills the store (OWASP ASVS 5.0 2.4.1, CWE-770). Until the
session holds a user or any other key, its few bytes travel in the cookie instead,
signed (HMAC-SHA256, a salt of its own, so it is never taken for a session id) and
dated, so a copied cookie stops working after the idle timeout.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import orjson

from gatepass._http import CSRF_SESSION_KEY
from gatepass.sessions.flash import FLASH_KEY
from gatepass.sessions.session import Session
from gatepass.sessions.signing import CookieSigner

ANONYMOUS_SALT: Final = "gatepass.session.anonymous"
DEFAULT_ANONYMOUS_KEYS: Final = (CSRF_SESSION_KEY, FLASH_KEY)
# Past this the session is stored as usual: cookies stay well under browsers' 4 KB.
MAX_VALUE_LENGTH: Final = 1536


class AnonymousCookie:
    """Encodes an anonymous session's data into a signed, dated cookie value and back.

    Args:
        secret_keys: the session signing keys, oldest first.
        keys: the session keys such a cookie may hold.
        lifetime: how long a value stays valid after it was written.
    """

    def __init__(
        self, secret_keys: Sequence[str | bytes], *, keys: Iterable[str], lifetime: timedelta
    ) -> None:
        self._signer = CookieSigner(secret_keys, salt=ANONYMOUS_SALT)
        self._keys = frozenset(keys)
        self._lifetime = lifetime

    def holds(self, session: Session) -> bool:
        """Whether ``session`` may live in the cookie: no user, no "remember me", and
        only the allowed keys."""
        return (
            bool(self._keys)
            and session.user_id is None
            and not session.remember
            and session.keys() <= self._keys
        )

    def dump(self, session: Session, now: datetime) -> str | None:
        """The signed cookie value for ``session``, or ``None`` when it is too large."""
        payload = orjson.dumps([int(now.timestamp()), session])
        text = base64.urlsafe_b64encode(payload).rstrip(b"=").decode("ascii")
        value = self._signer.sign(text)
        return value if len(value) <= MAX_VALUE_LENGTH else None

    def load(self, value: str, now: datetime) -> tuple[dict[str, Any], datetime] | None:
        """The data and write time of a valid, unexpired value; ``None`` otherwise."""
        if len(value) > MAX_VALUE_LENGTH:
            return None
        text = self._signer.unsign(value)
        if text is None:
            return None
        try:
            written, data = orjson.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            at = datetime.fromtimestamp(written, UTC)
        except (binascii.Error, ValueError, TypeError, OverflowError, OSError):
            return None
        if not isinstance(data, dict) or not data.keys() <= self._keys:
            return None
        if not at <= now < at + self._lifetime:
            return None
        return data, at
