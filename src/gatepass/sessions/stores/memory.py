"""In-memory session store: for tests and single-process development.

Memory stays bounded: every saved entry also sits in a heap ordered by expiry, and
each load or save drops up to ``PURGE_BATCH`` expired entries from its top. Work per
call is bounded, and since a save adds one entry while purging several, expired
sessions (a crawler's anonymous ones, say) never pile up.
"""

from __future__ import annotations

import heapq
from datetime import datetime, timedelta

from gatepass.sessions.stores.base import Clock, SessionInfo, SessionRecord, system_clock

PURGE_BATCH = 16


class MemorySessionStore:
    """Sessions in a dict of this instance; lost on restart, not shared between processes.

    Args:
        clock: the time source used for expiry.
    """

    def __init__(self, *, clock: Clock = system_clock) -> None:
        self._clock = clock
        self._entries: dict[str, tuple[SessionRecord, datetime]] = {}
        # (expires_at, session_id); an item is stale once its entry was saved again
        # with another expiry or deleted, and is then skipped when it is popped.
        self._heap: list[tuple[datetime, str]] = []

    def __len__(self) -> int:
        """The number of entries held, counting expired ones not purged yet."""
        return len(self._entries)

    def _purge(self) -> None:
        now = self._clock()
        for _ in range(PURGE_BATCH):
            if not self._heap or self._heap[0][0] > now:
                return
            expires_at, session_id = heapq.heappop(self._heap)
            entry = self._entries.get(session_id)
            if entry is not None and entry[1] == expires_at:
                del self._entries[session_id]

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
        self._purge()
        return self._live(session_id)

    async def save(
        self, session_id: str, record: SessionRecord, *, ttl: timedelta, must_exist: bool = False
    ) -> bool:
        """Store a record that expires after ``ttl``.

        Args:
            session_id: the id to store under.
            record: the session record.
            ttl: time to live from now.
            must_exist: store only over a live record (no await in between: atomic).

        Returns:
            Whether it was stored.
        """
        self._purge()
        if must_exist and self._live(session_id) is None:
            return False
        expires_at = self._clock() + ttl
        previous = self._entries.get(session_id)
        self._entries[session_id] = (record, expires_at)
        if previous is None or previous[1] != expires_at:
            heapq.heappush(self._heap, (expires_at, session_id))
        return True

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
