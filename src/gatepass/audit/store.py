"""Where audit events go: the ``AuditSink`` hook, the ``AuditStore`` protocol, the
in-memory store and a fan-out to several sinks.

An app routes events elsewhere (a SIEM, a queue, its own table) by writing an
``AuditSink`` (one ``record`` method) and fanning out to it beside the store.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Protocol, runtime_checkable

from gatepass.audit.events import AuditEvent

# A page of events is bounded whatever a caller asks for.
MAX_PAGE = 200


@runtime_checkable
class AuditSink(Protocol):
    """Receives each audit event once."""

    async def record(self, event: AuditEvent) -> None:
        """Keep or forward one event.

        Args:
            event: the event.
        """
        ...


@runtime_checkable
class AuditStore(AuditSink, Protocol):
    """An ``AuditSink`` that keeps events and answers queries about them."""

    async def list_events(
        self,
        *,
        user_id: str | None = None,
        account: str | None = None,
        type: str | None = None,
        before: int | None = None,
        limit: int = 50,
    ) -> list[AuditEvent]:
        """Events newest first.

        Args:
            user_id: only events of this user; with ``account`` too, events of either.
            account: only events of this account pseudonym (see ``AuditEvent``).
            type: only events of this type.
            before: only events with a smaller id (the cursor of the previous page).
            limit: at most this many (and never more than 200).

        Returns:
            The events, each with its ``id``.

        Raises:
            StoreUnavailableError: the store cannot be reached.
        """
        ...

    async def prune(self, *, older_than: datetime, batch_size: int = 500) -> int:
        """Delete at most one batch of events older than a moment.

        Args:
            older_than: events before this are deleted.
            batch_size: the most rows one call deletes (keeps each transaction short).

        Returns:
            How many were deleted; fewer than ``batch_size`` means none are left.

        Raises:
            StoreUnavailableError: the store cannot be reached.
        """
        ...


def page_size(limit: int) -> int:
    """Clamp a requested page size to 1..200.

    Args:
        limit: what was asked.

    Returns:
        The size to use.
    """
    return max(1, min(limit, MAX_PAGE))


class MemoryAuditStore:
    """An ``AuditStore`` in this process (tests, single-process development)."""

    def __init__(self) -> None:
        self._events: list[AuditEvent] = []
        self._next_id = 1

    async def record(self, event: AuditEvent) -> None:
        """Keep the event (see ``AuditSink``)."""
        self._events.append(replace(event, id=self._next_id))
        self._next_id += 1

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
        found: list[AuditEvent] = []
        for event in reversed(self._events):
            if len(found) >= page_size(limit):
                break
            if before is not None and event.id is not None and event.id >= before:
                continue
            if type is not None and event.type != type:
                continue
            if (user_id is not None or account is not None) and not (
                (user_id is not None and event.user_id == user_id)
                or (account is not None and event.account == account)
            ):
                continue
            found.append(event)
        return found

    async def prune(self, *, older_than: datetime, batch_size: int = 500) -> int:
        """Delete one batch of old events, oldest first (see ``AuditStore``)."""
        old = [event for event in self._events if event.at < older_than][:batch_size]
        doomed = {id(event) for event in old}
        self._events = [event for event in self._events if id(event) not in doomed]
        return len(old)


class FanOutSink:
    """Sends each event to several sinks; one failing sink does not stop the others.

    Args:
        sinks: where events go, in order.
    """

    def __init__(self, sinks: Sequence[AuditSink]) -> None:
        self.sinks = tuple(sinks)

    async def record(self, event: AuditEvent) -> None:
        """Send the event to every sink.

        Raises:
            ExceptionGroup: one or more sinks failed (the others still got the event).
        """
        results = await asyncio.gather(
            *(sink.record(event) for sink in self.sinks), return_exceptions=True
        )
        failures = [result for result in results if isinstance(result, Exception)]
        if failures:
            raise ExceptionGroup("audit sinks failed", failures)
