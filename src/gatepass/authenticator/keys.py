"""The session keys the authenticator owns."""

from __future__ import annotations

from typing import Final

USERS_SESSION_KEY: Final = "_gatepass_users"
"""Session key: ``{auth scope: serialized user}``, like Passport's ``session.passport``."""
RETURN_TO_SESSION_KEY: Final = "return_to"
"""Session key: the page a guard sent the user away from."""
