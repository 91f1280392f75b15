"""The ``AuditStore`` contract, run against every backend (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gatepass.audit import AuditEvent, AuditStore

START = datetime(2026, 1, 1, tzinfo=UTC)


def _event(n: int, **fields: object) -> AuditEvent:
    values: dict[str, object] = {
        "type": "login.succeeded",
        "at": START + timedelta(minutes=n),
        "user_id": "u1",
        "ip": "192.0.2.1",
        "user_agent": "Firefox",
        "detail": {"channel": "api"},
    }
    values.update(fields)
    return AuditEvent(**values)  # type: ignore[arg-type]


async def test_store_satisfies_the_protocol(store: AuditStore) -> None:
    assert isinstance(store, AuditStore)


async def test_recorded_event_reads_back_with_every_field_and_an_id(store: AuditStore) -> None:
    await store.record(_event(0, detail={"channel": "form", "count": 2, "fresh": True}))
    [event] = await store.list_events(user_id="u1")
    assert event.id is not None
    assert (event.type, event.at, event.user_id, event.ip, event.user_agent) == (
        "login.succeeded",
        START,
        "u1",
        "192.0.2.1",
        "Firefox",
    )
    assert event.at.tzinfo is not None
    assert dict(event.detail) == {"channel": "form", "count": 2, "fresh": True}


async def test_list_is_newest_first_and_pages_with_the_before_cursor(store: AuditStore) -> None:
    for n in range(5):
        await store.record(_event(n, detail={"n": n}))
    first = await store.list_events(user_id="u1", limit=2)
    assert [event.detail["n"] for event in first] == [4, 3]
    second = await store.list_events(user_id="u1", limit=2, before=first[-1].id)
    assert [event.detail["n"] for event in second] == [2, 1]
    last = await store.list_events(user_id="u1", limit=2, before=second[-1].id)
    assert [event.detail["n"] for event in last] == [0]


async def test_list_filters_by_user_type_and_account(store: AuditStore) -> None:
    await store.record(_event(0))
    await store.record(_event(1, user_id="u2"))
    await store.record(_event(2, type="login.failed", user_id=None, account="abcd"))
    await store.record(_event(3, type="logout"))
    assert [e.type for e in await store.list_events(user_id="u1")] == [
        "logout",
        "login.succeeded",
    ]
    assert [e.type for e in await store.list_events(type="login.succeeded")] == [
        "login.succeeded",
        "login.succeeded",
    ]
    both = await store.list_events(user_id="u1", account="abcd")
    assert [e.type for e in both] == ["logout", "login.failed", "login.succeeded"]
    assert len(await store.list_events()) == 4


async def test_page_size_is_bounded(store: AuditStore) -> None:
    for n in range(3):
        await store.record(_event(n))
    assert len(await store.list_events(limit=0)) == 1
    assert len(await store.list_events(limit=10_000)) == 3


async def test_prune_deletes_old_events_in_bounded_batches(store: AuditStore) -> None:
    for n in range(5):
        await store.record(_event(n, detail={"n": n}))
    cutoff = START + timedelta(minutes=3)
    assert await store.prune(older_than=cutoff, batch_size=2) == 2
    assert await store.prune(older_than=cutoff, batch_size=2) == 1
    assert await store.prune(older_than=cutoff, batch_size=2) == 0
    assert [e.detail["n"] for e in await store.list_events()] == [4, 3]


@pytest.mark.parametrize("field", ["password", "token", "refresh_token", "secret", "cookie"])
def test_an_event_refuses_a_detail_that_would_carry_a_secret(field: str) -> None:
    with pytest.raises(ValueError, match="never carry"):
        _event(0, detail={field: "x"})


def test_an_event_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        _event(0, at=datetime(2026, 1, 1))
