"""The session keys the authenticator owns, and the session text of gatepass's layers."""

from __future__ import annotations

from typing import Final

from gatepass.security.csrf import CSRF_SESSION_KEY
from gatepass.strategies.oauth._state import SESSION_KEY_PREFIX

USERS_SESSION_KEY: Final = "_gatepass_users"
"""Session key: ``{auth scope: serialized user}``, like Passport's ``session.passport``."""
RETURN_TO_SESSION_KEY: Final = "return_to"
"""Session key: the page a guard sent the user away from."""
SESSION_TEXT: Final = (
    f'"{CSRF_SESSION_KEY}":"',
    f'"{SESSION_KEY_PREFIX}',
    f'"{USERS_SESSION_KEY}":{{"default":"',
)
"""What the layers above sessions write into a session, each from its owner's key, most
common last: ``RedisSessionStore(session_text=SESSION_TEXT)`` keeps a login in ~75 bytes.
(The session layer's own keys, flash and owner, are in every record's dictionary.)"""
