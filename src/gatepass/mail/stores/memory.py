"""One-time tokens in a dict: tests and single-process development."""

from __future__ import annotations

import time

from gatepass.mail.stores.base import OneTimeRecord
from gatepass.tokens.stores.base import Clock

__all__ = ["MemoryOneTimeStore"]


class MemoryOneTimeStore:
    """One-time token records in process memory; expired records are dropped on add.

    Args:
        clock: seconds since the epoch.
    """

    def __init__(self, *, clock: Clock = time.time) -> None:
        self._records: dict[str, OneTimeRecord] = {}
        self._clock = clock

    async def add(self, record: OneTimeRecord) -> None:
        now = self._clock()
        for key in [k for k, r in self._records.items() if r.expires_at <= now]:
            del self._records[key]
        self._records[record.key] = record

    async def take(self, key: str) -> OneTimeRecord | None:
        record = self._records.pop(key, None)
        if record is None or record.expires_at <= self._clock():
            return None
        return record

    async def discard(self, purpose: str, subject: str) -> None:
        doomed = [
            key
            for key, record in self._records.items()
            if record.purpose == purpose and record.subject == subject
        ]
        for key in doomed:
            del self._records[key]
