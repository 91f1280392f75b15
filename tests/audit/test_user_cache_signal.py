"""Writes of the audit trail and the second factor leave the user cache alone.

They share the user database's connections, but hold no user or link: telling every
process's user cache to empty itself on each login event would undo the cache.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from gatepass.audit import AuditEvent
from gatepass.audit.sql import SQLAuditStore
from gatepass.users import SQLUserStore


async def test_audit_writes_do_not_signal_a_user_change_but_user_writes_do(
    tmp_path: Path,
) -> None:
    changes: list[int] = []

    async def changed() -> None:
        changes.append(1)

    async with SQLUserStore(f"sqlite:///{tmp_path / 'users.db'}", on_change=changed) as users:
        user = await users.create(email="ada@example.com", password_hash=None)
        assert len(changes) == 1
        await SQLAuditStore(users).record(
            AuditEvent(type="login.succeeded", at=datetime(2026, 6, 1, tzinfo=UTC), user_id=user.id)
        )
        assert len(changes) == 1
        await users.disable(user.id)
        assert len(changes) == 2
