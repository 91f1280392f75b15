"""In-process stores: for tests and single-process apps.

Check-and-set runs with no ``await`` in between, so on one event loop concurrent
callers cannot interleave (exactly one spend wins). Memory stays bounded: every entry
sits in a heap by expiry and is dropped once it has expired.
"""

from __future__ import annotations

import heapq
import time
from typing import Generic, TypeVar

from gatepass.tokens.stores._revocations import KeyedRevocations, Mark, revoked
from gatepass.tokens.stores.base import (
    Clock,
    RefreshFamily,
    RefreshRecord,
    SpendResult,
    login_detail,
    next_family_entry,
)

__all__ = ["MemoryRefreshStore", "MemoryRevocationStore"]

V = TypeVar("V")


class _Expiring(Generic[V]):
    """A dict whose entries vanish at their expiry time (hidden on read, purged on write)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._values: dict[str, tuple[V, float]] = {}
        self._heap: list[tuple[float, str]] = []

    def get(self, key: str) -> V | None:
        entry = self._values.get(key)
        if entry is None or entry[1] <= self._clock():
            return None
        return entry[0]

    def put(self, key: str, value: V, expires_at: float) -> None:
        self._purge()
        if expires_at <= self._clock():
            return
        previous = self._values.get(key)
        self._values[key] = (value, expires_at)
        if previous is None or previous[1] != expires_at:
            heapq.heappush(self._heap, (expires_at, key))

    def __len__(self) -> int:
        self._purge()
        return len(self._values)

    def _purge(self) -> None:
        now = self._clock()
        while self._heap and self._heap[0][0] <= now:
            expires_at, key = heapq.heappop(self._heap)
            entry = self._values.get(key)
            if entry is not None and entry[1] == expires_at:
                del self._values[key]


class MemoryRefreshStore:
    """Refresh-token records in a dict, each dropped at its expiry.

    Args:
        clock: seconds since the epoch; defaults to ``time.time``.
    """

    def __init__(self, *, clock: Clock = time.time) -> None:
        self._clock = clock
        self._records: _Expiring[tuple[RefreshRecord, bool]] = _Expiring(clock)
        # subject -> family id -> entry; a subject's dict expires with its longest family.
        self._families: _Expiring[dict[str, RefreshFamily]] = _Expiring(clock)

    def __len__(self) -> int:
        """The number of records still held."""
        return len(self._records)

    async def add(
        self, record: RefreshRecord, *, device: str | None = None, address: str | None = None
    ) -> None:
        """Store a new, unspent record until its ``expires_at``, and note its family.

        Args:
            record: the record to keep.
            device: a short user-agent summary, kept by the family's first record.
            address: the client address, kept by the family's first record.
        """
        self._records.put(record.token_hash, (record, False), record.expires_at)
        now = self._clock()
        live = {
            fid: entry
            for fid, entry in (self._families.get(record.subject) or {}).items()
            if entry.expires_at > now
        }
        live[record.family_id] = next_family_entry(
            live.get(record.family_id), record, login_detail(device), login_detail(address)
        )
        self._families.put(record.subject, live, max(e.expires_at for e in live.values()))

    async def families(self, subject: str) -> list[RefreshFamily]:
        """The subject's families whose latest token has not expired, newest login first.

        Args:
            subject: the user.

        Returns:
            The families.
        """
        now = self._clock()
        entries = (self._families.get(subject) or {}).values()
        return sorted(
            (entry for entry in entries if entry.expires_at > now),
            key=lambda entry: (-entry.issued_at, entry.family_id),
        )

    async def forget_family(self, subject: str, family_id: str) -> bool:
        """Drop a family of ``subject`` from the list (after revoking it).

        Args:
            subject: the user.
            family_id: the family.

        Returns:
            Whether it was listed.
        """
        entries = self._families.get(subject)
        if entries is None or family_id not in entries:
            return False
        del entries[family_id]
        return True

    async def spend(self, token_hash: str) -> SpendResult:
        """Mark the record spent, with no ``await`` between the check and the set.

        Args:
            token_hash: hex SHA-256 of the presented token.

        Returns:
            ``ok`` with the record for the one caller that spent it, ``reused`` for any
            later caller, ``unknown`` when no live record exists.
        """
        entry = self._records.get(token_hash)
        if entry is None:
            return SpendResult("unknown")
        record, spent = entry
        if spent:
            return SpendResult("reused", record)
        self._records.put(token_hash, (record, True), record.expires_at)
        return SpendResult("ok", record)


class MemoryRevocationStore(KeyedRevocations):
    """Revoked ``jti``s, family ids and per-subject cut-offs, each dropped at its expiry.

    Args:
        clock: seconds since the epoch; defaults to ``time.time``.
    """

    def __init__(self, *, clock: Clock = time.time) -> None:
        self._entries: _Expiring[int] = _Expiring(clock)
        self._version = 0

    def __len__(self) -> int:
        """The number of live entries (bounded by what is still unexpired)."""
        return len(self._entries)

    def version(self) -> int:
        """A number that changes whenever an entry is added or a cut-off moves.

        Every write goes through this object, so a verifier may keep a "not revoked"
        answer until the number changes (entries that expire only ever un-revoke).

        Returns:
            The current version.
        """
        return self._version

    async def _mark(self, kind: Mark, value: str, expires_at: int) -> None:
        self._version += 1
        self._entries.put(f"{kind}:{value}", 1, expires_at)

    async def _cut_off(self, subject: str, before: int, expires_at: int) -> None:
        # No await between the read and the write: concurrent callers cannot interleave.
        key = f"sub:{subject}"
        current = self._entries.get(key)
        if current is None or current < before:
            self._version += 1
            self._entries.put(key, before, expires_at)

    async def _lookup(
        self, jti: str | None, family_id: str | None, subject: str | None, issued_at: int | None
    ) -> bool:
        return revoked(
            jti=jti is not None and self._entries.get(f"jti:{jti}") is not None,
            family=family_id is not None and self._entries.get(f"fid:{family_id}") is not None,
            cut_off=None if subject is None else self._entries.get(f"sub:{subject}"),
            issued_at=issued_at,
        )
