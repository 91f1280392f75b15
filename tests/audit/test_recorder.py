"""The recorder: events written in the background, a failing store never reaches the caller."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from gatepass.audit import AuditEvent, AuditRecorder, FanOutSink, MemoryAuditStore

NOW = datetime(2026, 6, 1, tzinfo=UTC)


class BrokenSink:
    """A sink whose backing service is down."""

    async def record(self, event: AuditEvent) -> None:
        raise ConnectionError("the database is down")


def _clock() -> datetime:
    return NOW


async def test_security_event_is_stored_under_its_audit_name_with_columns_and_detail() -> None:
    store = MemoryAuditStore()
    recorder = AuditRecorder(store, clock=_clock)
    recorder.security_event(
        "login.success", {"channel": "api", "user_id": "u1", "address": "192.0.2.7"}
    )
    await recorder.flush()
    [event] = await store.list_events()
    assert (event.type, event.user_id, event.ip, event.at) == (
        "login.succeeded",
        "u1",
        "192.0.2.7",
        NOW,
    )
    assert dict(event.detail) == {"channel": "api"}


@pytest.mark.parametrize(
    ("logged", "stored"),
    [
        ("login.failure", "login.failed"),
        ("refresh.reuse", "refresh.reuse_detected"),
        ("session.revoked", "session.revoked"),
        ("password.changed", "password.changed"),
    ],
)
async def test_log_names_map_to_the_designed_event_types(logged: str, stored: str) -> None:
    store = MemoryAuditStore()
    recorder = AuditRecorder(store, clock=_clock)
    recorder.security_event(logged, {"account": "0123456789abcdef"})
    await recorder.flush()
    assert [event.type for event in await store.list_events()] == [stored]


async def test_token_refreshes_are_counted_elsewhere_not_stored() -> None:
    store = MemoryAuditStore()
    recorder = AuditRecorder(store)
    recorder.security_event("token.refreshed", {"user_id": "u1"})
    await recorder.flush()
    assert await store.list_events() == []


async def test_a_failing_store_is_logged_and_counted_never_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    counted: list[int] = []
    recorder = AuditRecorder(BrokenSink(), on_failure=lambda: counted.append(1))
    with caplog.at_level(logging.WARNING, logger="gatepass.audit"):
        recorder.security_event("login.success", {"user_id": "u1"})
        await recorder.flush()
    assert recorder.failures == 1
    assert counted == [1]
    assert "login.succeeded not stored: ConnectionError" in caplog.text
    # The exception's text may quote stored values: only its type is logged.
    assert "the database is down" not in caplog.text


async def test_fan_out_still_delivers_to_the_other_sinks_when_one_fails() -> None:
    store = MemoryAuditStore()
    recorder = AuditRecorder(FanOutSink([BrokenSink(), store]))
    recorder.security_event("logout", {"user_id": "u1"})
    await recorder.flush()
    assert [event.type for event in await store.list_events()] == ["logout"]
    assert recorder.failures == 1


async def test_writes_past_the_pending_bound_are_dropped_and_counted() -> None:
    store = MemoryAuditStore()
    recorder = AuditRecorder(store, max_pending=2)
    for _ in range(5):
        recorder.security_event("logout", {"user_id": "u1"})
    await recorder.flush()
    assert len(await store.list_events()) == 2
    assert recorder.failures == 3


def test_an_event_outside_an_event_loop_is_counted_not_raised() -> None:
    recorder = AuditRecorder(MemoryAuditStore())
    recorder.emit(AuditEvent(type="logout", at=NOW))
    assert recorder.failures == 1


async def test_retention_prunes_events_older_than_it() -> None:
    store = MemoryAuditStore()
    await store.record(AuditEvent(type="logout", at=NOW - timedelta(days=91)))
    await store.record(AuditEvent(type="logout", at=NOW - timedelta(days=89)))
    recorder = AuditRecorder(store, retention=timedelta(days=90), clock=_clock)
    assert await recorder.prune() == 1
    assert [event.at for event in await store.list_events()] == [NOW - timedelta(days=89)]


async def test_recording_starts_a_prune_at_most_once_per_period() -> None:
    store = MemoryAuditStore()
    for _ in range(3):
        await store.record(AuditEvent(type="logout", at=NOW - timedelta(days=100)))
    recorder = AuditRecorder(store, retention=timedelta(days=90), clock=_clock)
    recorder.security_event("logout", {"user_id": "u1"})
    await recorder.flush()
    assert [event.at for event in await store.list_events()] == [NOW]
    await store.record(AuditEvent(type="logout", at=NOW - timedelta(days=100)))
    recorder.security_event("logout", {"user_id": "u1"})
    await recorder.flush()
    # Within the hour: no second prune, the old event stays until the next one.
    assert len(await store.list_events()) == 3


def test_secret_fields_are_refused_and_counted() -> None:
    recorder = AuditRecorder(MemoryAuditStore())
    recorder.security_event("login.success", {"password": "hunter2"})
    assert recorder.failures == 1
