"""Where one-time tokens wait: memory, SQLite and Redis, one contract."""

from __future__ import annotations

from gatepass.mail.stores.base import OneTimeRecord, OneTimeStore
from gatepass.mail.stores.memory import MemoryOneTimeStore

__all__ = ["MemoryOneTimeStore", "OneTimeRecord", "OneTimeStore"]
