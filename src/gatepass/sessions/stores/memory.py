"""In-memory session store: for tests and single-process development."""

from __future__ import annotations

from datetime import datetime, timedelta

from gatepass.sessions.stores.base import Clock, SessionInfo, SessionRecord, system_clock


class MemorySessionStore:
    """Sessions in a dict of this instance; lost on restart, not shared between processes.

    Args:
        clock: the time source used for expiry.
    """

    def __init__(self, *, clock: Clock = system_clock) -> None:
        self._clock = clock
        self._entries: dict[str, tuple[SessionRecord, datetime]] = {}

    def _live(self, session_id: str) -> SessionRecord | None:
        entry = self._entries.get(session_id)
        if entry is None:
            return None
        record, expires_at = entry
        if expires_at <= self._clock():
            del self._entries[session_id]
            return None
        return record

    async def load(self, session_id: str) -> SessionRecord | None:
        """Return the stored record, or ``None`` if unknown or expired.

        Args:
            session_id: the id from the cookie.

        Returns:
            The record or ``None``.
        """
        return self._live(session_id)

    async def save(self, session_id: str, record: SessionRecord, *, ttl: timedelta) -> None:
        """Store a record that expires after ``ttl``.

        Args:
            session_id: the id to store under.
            record: the session record.
            ttl: time to live from now.
        """
        self._entries[session_id] = (record, self._clock() + ttl)

    async def delete(self, session_id: str) -> None:
        """Forget one session.

        Args:
            session_id: the id to delete.
        """
        self._entries.pop(session_id, None)

    async def delete_user_sessions(self, user_id: str, *, except_id: str | None = None) -> int:
        """Forget every session of a user except one.

        Args:
            user_id: whose sessions to end.
            except_id: a session id to keep (the current one for "log out all others").

        Returns:
            How many sessions were deleted.
        """
        doomed = [
            session_id
            for session_id in list(self._entries)
            if session_id != except_id
            and (record := self._live(session_id)) is not None
            and record.user_id == user_id
        ]
        for session_id in doomed:
            del self._entries[session_id]
        return len(doomed)

    async def list_user_sessions(self, user_id: str) -> list[SessionInfo]:
        """List a user's live sessions, most recently seen first.

        Args:
            user_id: whose sessions to list.

        Returns:
            The sessions with their metadata.
        """
        infos = [
            SessionInfo.of(session_id, record)
            for session_id in list(self._entries)
            if (record := self._live(session_id)) is not None and record.user_id == user_id
        ]
        return sorted(infos, key=lambda info: info.last_seen, reverse=True)
