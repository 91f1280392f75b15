"""gatepass.audit: security events as stored values, the sink hook, and trace names.

``AuditEvent`` is one event; an ``AuditSink`` receives events (route them anywhere);
an ``AuditStore`` keeps and lists them (``MemoryAuditStore``, ``SQLAuditStore``);
``FanOutSink`` sends to several; ``AuditRecorder`` writes in the background so a
login never waits for or fails on the trail.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatepass._lazy import lazy_attributes
from gatepass.audit.context import AuditContextMiddleware, current_client
from gatepass.audit.events import FORBIDDEN_FIELDS, AuditEvent, stored_type
from gatepass.audit.recorder import AuditRecorder
from gatepass.audit.store import AuditSink, AuditStore, FanOutSink, MemoryAuditStore

if TYPE_CHECKING:
    from gatepass.audit.sql import SQLAuditStore

__all__ = [
    "FORBIDDEN_FIELDS",
    "AuditContextMiddleware",
    "AuditEvent",
    "AuditRecorder",
    "AuditSink",
    "AuditStore",
    "FanOutSink",
    "MemoryAuditStore",
    "SQLAuditStore",
    "current_client",
    "stored_type",
]

# SQLAlchemy comes with the ``sql`` extra: import it on first use.
__getattr__ = lazy_attributes(__name__, {"SQLAuditStore": "gatepass.audit.sql"})
