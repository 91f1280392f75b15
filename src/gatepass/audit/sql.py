"""``SQLAuditStore``: the audit trail in the user database (SQLite or PostgreSQL).

The table is created by the user schema's migration 0005 (``SQLUserStore.open()``
runs it); the store borrows that store's engine and its error translation, so an
unreachable database is ``StoreUnavailableError`` here too.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from gatepass.audit.events import MAX_USER_AGENT, AuditEvent
from gatepass.audit.store import page_size

_metadata = sa.MetaData()
# Revision 0005 of the user schema.
audit_events = sa.Table(
    "gatepass_audit_events",
    _metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("user_id", sa.String(64)),
    sa.Column("account", sa.String(32)),
    sa.Column("ip", sa.String(64)),
    sa.Column("user_agent", sa.String(512)),
    sa.Column("detail", sa.JSON(), nullable=False),
)


class SQLConnections(Protocol):
    """What the store borrows from ``SQLUserStore``: its translated connections."""

    def _connect(
        self, *, write: bool = False, notify: bool = True
    ) -> AbstractAsyncContextManager[AsyncConnection]:
        """A connection (a transaction when ``write``; ``notify``: tell the user cache)."""
        ...


class SQLAuditStore:
    """An ``AuditStore`` in the ``gatepass_audit_events`` table.

    Args:
        users: the ``SQLUserStore`` whose database holds the table; open it first.
    """

    def __init__(self, users: SQLConnections) -> None:
        self._users = users

    async def record(self, event: AuditEvent) -> None:
        """Insert the event (see ``AuditSink``).

        Raises:
            StoreUnavailableError: the database cannot be reached.
        """
        values = {
            "type": event.type[:64],
            "at": event.at,
            "user_id": event.user_id,
            "account": event.account,
            "ip": None if event.ip is None else event.ip[:64],
            "user_agent": None if event.user_agent is None else event.user_agent[:MAX_USER_AGENT],
            "detail": dict(event.detail),
        }
        async with self._users._connect(write=True, notify=False) as connection:
            await connection.execute(audit_events.insert().values(**values))

    async def list_events(
        self,
        *,
        user_id: str | None = None,
        account: str | None = None,
        type: str | None = None,
        before: int | None = None,
        limit: int = 50,
    ) -> list[AuditEvent]:
        """Events newest first (see ``AuditStore``)."""
        table = audit_events
        query = sa.select(table).order_by(table.c.id.desc()).limit(page_size(limit))
        if before is not None:
            query = query.where(table.c.id < before)
        if type is not None:
            query = query.where(table.c.type == type)
        subjects = []
        if user_id is not None:
            subjects.append(table.c.user_id == user_id)
        if account is not None:
            subjects.append(table.c.account == account)
        if subjects:
            query = query.where(sa.or_(*subjects))
        async with self._users._connect() as connection:
            rows = (await connection.execute(query)).all()
        return [_to_event(row._mapping) for row in rows]

    async def prune(self, *, older_than: datetime, batch_size: int = 500) -> int:
        """Delete one batch of old events (see ``AuditStore``)."""
        table = audit_events
        # A bounded DELETE: a long backlog is removed in short transactions that
        # never hold the table for long.
        batch = (
            sa.select(table.c.id)
            .where(table.c.at < older_than)
            .order_by(table.c.id)
            .limit(max(batch_size, 1))
        )
        async with self._users._connect(write=True, notify=False) as connection:
            result = await connection.execute(
                table.delete().where(table.c.id.in_(batch.scalar_subquery()))
            )
        deleted: int = result.rowcount
        return deleted


def _to_event(row: RowMapping) -> AuditEvent:
    at: datetime = row["at"]
    if at.tzinfo is None:
        # SQLite keeps no offset; gatepass only ever writes UTC.
        at = at.replace(tzinfo=UTC)
    detail: dict[str, Any] = row["detail"] or {}
    return AuditEvent(
        type=row["type"],
        at=at,
        user_id=row["user_id"],
        account=row["account"],
        ip=row["ip"],
        user_agent=row["user_agent"],
        detail=detail,
        id=int(row["id"]),
    )
