"""Ending every login of a user: browser sessions, refresh families and access tokens."""

from __future__ import annotations

import math
import time

from gatepass.sessions import SessionStore
from gatepass.tokens.service import TokenService


async def end_every_login(sessions: SessionStore, tokens: TokenService, user_id: str) -> int:
    """Delete every session of ``user_id`` and revoke every token and refresh family.

    The cut-off is the end of this second, so a pair issued in the same second goes too
    (the cut-off spares tokens issued at or after it; OWASP ASVS 3.3.3).

    Returns:
        How many sessions were deleted.
    """
    ended = await sessions.delete_user_sessions(user_id)
    await tokens.logout_everywhere(user_id, before=math.floor(time.time()) + 1)
    return ended
