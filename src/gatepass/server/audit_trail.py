"""The server's audit trail: where security events are written and read back."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from gatepass.audit import AuditRecorder, AuditSink, AuditStore, FanOutSink, SQLAuditStore
from gatepass.users import SQLUserStore


@dataclass(frozen=True, slots=True)
class AuditTrail:
    """The server's trail: where events are written, and the store they are read from."""

    recorder: AuditRecorder
    store: AuditStore

    @classmethod
    def build(
        cls,
        users: SQLUserStore,
        *,
        retention_days: int,
        sinks: Sequence[AuditSink] = (),
        on_failure: Callable[[], None] | None = None,
    ) -> AuditTrail:
        """The SQL trail in the user database, plus any sinks an app adds.

        Args:
            users: the user store whose database holds the trail.
            retention_days: prune events older than this; 0 keeps them.
            sinks: more places every event goes (a SIEM forwarder...).
            on_failure: called once per event not stored (the metrics counter).

        Returns:
            The trail.
        """
        store = SQLAuditStore(users)
        sink: AuditSink = FanOutSink([store, *sinks]) if sinks else store
        recorder = AuditRecorder(
            sink,
            retention=timedelta(days=retention_days) if retention_days else None,
            on_failure=on_failure,
        )
        return cls(recorder=recorder, store=store)
