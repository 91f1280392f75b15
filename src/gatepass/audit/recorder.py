"""``AuditRecorder``: writes events in the background, so a login never waits for or
fails on the audit store.

A write runs as its own task; a failure is logged (``gatepass.audit``) and counted,
never raised into the request. Pending writes are bounded: past the bound an event is
dropped and counted as a failure rather than let memory grow while a store is down.
Old events are pruned in bounded batches at most once per ``prune_every``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from gatepass.audit.context import current_client
from gatepass.audit.events import NOT_STORED, AuditEvent, clean_detail, stored_type
from gatepass.audit.store import AuditSink, AuditStore

AUDIT_LOGGER: Final = "gatepass.audit"
_log = logging.getLogger(AUDIT_LOGGER)
# Fields of a security log line that are columns of the trail, not detail.
_COLUMNS: Final = frozenset({"user_id", "account", "address"})


def _utc_now() -> datetime:
    return datetime.now(UTC)


class AuditRecorder:
    """Sends events to a sink without blocking the caller.

    Args:
        sink: where events go (an ``AuditStore``, a ``FanOutSink``...).
        retention: events older than this are pruned when ``sink`` is an
            ``AuditStore``; ``None`` keeps them.
        clock: returns "now" (UTC).
        max_pending: the most writes in flight; more are dropped and counted.
        on_failure: called once per event that was not written (a metrics counter).
        prune_every: the least time between two prune runs.
        prune_batches: the most batches (of 500 rows) one prune run deletes.
    """

    def __init__(
        self,
        sink: AuditSink,
        *,
        retention: timedelta | None = None,
        clock: Callable[[], datetime] = _utc_now,
        max_pending: int = 1000,
        on_failure: Callable[[], None] | None = None,
        prune_every: timedelta = timedelta(hours=1),
        prune_batches: int = 20,
    ) -> None:
        self.sink = sink
        self.retention = retention
        self._clock = clock
        self._max_pending = max_pending
        self._on_failure = on_failure
        self._prune_every = prune_every
        self._prune_batches = prune_batches
        self._pending: set[asyncio.Task[None]] = set()
        self._last_prune: datetime | None = None
        self.failures = 0

    def emit(self, event: AuditEvent) -> None:
        """Start writing one event; returns at once and never raises.

        Args:
            event: the event.
        """
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._failed(event, "no running event loop")
            return
        if len(self._pending) >= self._max_pending:
            self._failed(event, "too many writes pending")
            return
        self._track(loop.create_task(self._write(event)))
        self._maybe_prune(loop)

    def security_event(self, name: str, fields: Mapping[str, Any]) -> None:
        """A ``SecurityLog`` listener: store a logged event with the request's client.

        Args:
            name: the log's event name (mapped by :func:`stored_type`).
            fields: the log line's fields.
        """
        if name in NOT_STORED:
            return
        ip, agent = current_client()
        user_id = fields.get("user_id")
        address = fields.get("address")
        rest = {key: value for key, value in fields.items() if key not in _COLUMNS}
        try:
            event = AuditEvent(
                type=stored_type(name),
                at=self._clock(),
                user_id=None if user_id is None else str(user_id),
                account=fields.get("account"),
                ip=str(address) if address is not None else ip,
                user_agent=agent,
                detail=clean_detail(rest),
            )
        except ValueError:
            # SecurityLog refused the same fields already; nothing secret is kept.
            self._failed(None, "refused fields")
            return
        self.emit(event)

    async def flush(self, *, within: float | None = None) -> None:
        """Wait for the writes started so far (at shutdown; before reading one's own).

        Args:
            within: the most seconds to wait; writes still running carry on.
        """
        if self._pending:
            await asyncio.wait(set(self._pending), timeout=within)

    async def prune(self) -> int:
        """Delete events older than the retention, in bounded batches.

        Returns:
            How many were deleted (0 without a retention or a store).
        """
        if self.retention is None or not isinstance(self.sink, AuditStore):
            return 0
        cutoff = self._clock() - self.retention
        deleted = 0
        for _ in range(self._prune_batches):
            count = await self.sink.prune(older_than=cutoff, batch_size=500)
            deleted += count
            if count < 500:
                break
        return deleted

    def _maybe_prune(self, loop: asyncio.AbstractEventLoop) -> None:
        if self.retention is None:
            return
        now = self._clock()
        if self._last_prune is not None and now - self._last_prune < self._prune_every:
            return
        self._last_prune = now
        self._track(loop.create_task(self._prune_quietly()))

    def _track(self, task: asyncio.Task[None]) -> None:
        # The loop keeps only weak references to tasks: hold them until done.
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _write(self, event: AuditEvent) -> None:
        try:
            await self.sink.record(event)
        except Exception as exc:  # any store failure: log and count, never reach a login
            self._failed(event, type(exc).__name__)

    async def _prune_quietly(self) -> None:
        try:
            await self.prune()
        except Exception as exc:  # a failed prune is retried on the next run
            _log.warning("audit prune failed: %s", type(exc).__name__)

    def _failed(self, event: AuditEvent | None, reason: str) -> None:
        self.failures += 1
        kind = event.type if event is not None else "-"
        _log.warning("audit event %s not stored: %s", kind, reason)
        if self._on_failure is not None:
            self._on_failure()
