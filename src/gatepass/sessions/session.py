"""The session object an app and the Authenticator see: a dict with a few intents.

It lives in ``scope["session"]``, so Starlette's ``request.session`` returns it. The
methods only record what should happen; the session middleware carries it out when
the response starts (new id, server-side delete, end every session of a user).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

USER_ID_KEY = "_gatepass_uid"


class Session(dict[str, Any]):
    """Server-side session data plus the id it is stored under.

    Args:
        data: the stored data, or nothing for a new session.
        session_id: the id it was loaded from; ``None`` for a new session.
    """

    def __init__(self, data: dict[str, Any] | None = None, *, session_id: str | None = None):
        super().__init__(data or {})
        self.id = session_id
        self.regenerated = False
        self.destroyed = False
        self.end_everywhere = False
        self.remember = False

    @property
    def is_new(self) -> bool:
        """True when no stored session was loaded for this request."""
        return self.id is None

    @property
    def user_id(self) -> str | None:
        """The user this session belongs to, as stored for "log out everywhere"."""
        value = self.get(USER_ID_KEY)
        return None if value is None else str(value)

    @user_id.setter
    def user_id(self, value: str | None) -> None:
        if value is None:
            self.pop(USER_ID_KEY, None)
        else:
            self[USER_ID_KEY] = value

    def regenerate(self, *, keep: Iterable[str] = ()) -> None:
        """Move to a new id on save and keep only the named keys.

        The old id is deleted from the store, so a fixed or stolen pre-login id is dead
        afterwards (session fixation: OWASP ASVS 3.2.1, CVE-2022-25896 in Passport).
        """
        kept = {key: self[key] for key in keep if key in self}
        self.clear()
        self.update(kept)
        self.regenerated = True
        self.destroyed = False

    def destroy(self, *, everywhere: bool = False) -> None:
        """Delete this session on save; ``everywhere`` ends every session of its user."""
        self.end_everywhere = everywhere
        self.destroyed = True
