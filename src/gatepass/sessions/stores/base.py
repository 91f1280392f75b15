"""The session store protocol and the record every store keeps.

A store holds session data by id and knows which user each session belongs to, so
"log out everywhere" and "your active sessions" work on every backend.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

import orjson

Clock = Callable[[], datetime]
"""A function returning the current time (timezone-aware); tests pass a fixed one."""


def system_clock() -> datetime:
    """The current UTC time.

    Returns:
        An aware ``datetime``.
    """
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """What a store keeps for one session.

    Args:
        data: the session's key/value data (JSON-serialisable).
        user_id: the user the session belongs to, if anyone is logged in.
        created_at: when the session (or its current id) was created.
        last_seen: the last request that touched it.
        remember: whether the user asked to be remembered (persistent cookie).
        user_agent: the browser's ``User-Agent`` at creation, for session lists.
    """

    data: dict[str, Any]
    user_id: str | None
    created_at: datetime
    last_seen: datetime
    remember: bool = False
    user_agent: str = ""

    def to_json(self) -> bytes:
        """Serialise for stores that keep one blob per session.

        Returns:
            JSON bytes.
        """
        return orjson.dumps(
            {
                "data": self.data,
                "user_id": self.user_id,
                "created_at": self.created_at.timestamp(),
                "last_seen": self.last_seen.timestamp(),
                "remember": self.remember,
                "user_agent": self.user_agent,
            }
        )

    @classmethod
    def from_json(cls, raw: bytes | str) -> SessionRecord:
        """Rebuild a record written by :meth:`to_json`.

        Args:
            raw: JSON bytes or text.

        Returns:
            The record.
        """
        value = orjson.loads(raw)
        return cls(
            data=dict(value["data"]),
            user_id=value["user_id"],
            created_at=datetime.fromtimestamp(value["created_at"], UTC),
            last_seen=datetime.fromtimestamp(value["last_seen"], UTC),
            remember=bool(value.get("remember", False)),
            user_agent=str(value.get("user_agent", "")),
        )


def session_handle(session_id: str) -> str:
    """A short public name for a session: a hash of its id, safe to show and post back.

    Args:
        session_id: the secret session id.

    Returns:
        16 hex characters.
    """
    return hashlib.sha256(session_id.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """One entry of a user's session list ("your active sessions").

    ``handle`` is a short public name for the session (a hash of its id) that pages
    may show and post back; the id itself stays server-side.
    """

    session_id: str = field(repr=False)
    user_id: str
    created_at: datetime
    last_seen: datetime
    remember: bool
    user_agent: str

    @property
    def handle(self) -> str:
        """A stable public name for this session that does not reveal its id."""
        return session_handle(self.session_id)

    @classmethod
    def of(cls, session_id: str, record: SessionRecord) -> SessionInfo:
        """Build the list entry for a stored record.

        Args:
            session_id: the id the record is stored under.
            record: the record, which must belong to a user.

        Returns:
            The entry.
        """
        return cls(
            session_id=session_id,
            user_id=record.user_id or "",
            created_at=record.created_at,
            last_seen=record.last_seen,
            remember=record.remember,
            user_agent=record.user_agent,
        )


@runtime_checkable
class SessionStore(Protocol):
    """Where server-side sessions live. Every method may raise ``StoreUnavailableError``."""

    async def load(self, session_id: str) -> SessionRecord | None:
        """Return the record stored under ``session_id``, or ``None`` if unknown/expired."""
        ...

    async def save(
        self, session_id: str, record: SessionRecord, *, ttl: timedelta, must_exist: bool = False
    ) -> bool:
        """Store ``record`` under ``session_id``; it expires by itself after ``ttl``.

        With ``must_exist`` the record is stored only if a live one is already there,
        in one atomic step, so a session ended meanwhile (logout, "log out everywhere"
        in another request) is not brought back. Returns whether it was stored.
        """
        ...

    async def delete(self, session_id: str) -> None:
        """Forget one session (no error if it is unknown)."""
        ...

    async def delete_user_sessions(self, user_id: str, *, except_id: str | None = None) -> int:
        """Forget every session of ``user_id`` but ``except_id``; return how many ended."""
        ...

    async def list_user_sessions(self, user_id: str) -> list[SessionInfo]:
        """The user's live sessions, most recently seen first."""
        ...


def ttl_seconds(ttl: timedelta) -> float:
    """Seconds in a TTL, at least one millisecond so a store never keeps a dead entry forever.

    Args:
        ttl: the time to live.

    Returns:
        The seconds, as a float.
    """
    return max(ttl.total_seconds(), 0.001)
