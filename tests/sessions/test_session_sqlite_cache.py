"""The SQLite session store's memory: never an answer the file no longer gives."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from gatepass.sessions.stores.base import SessionRecord
from gatepass.sessions.stores.sqlite import SQLiteSessionStore
from sessions.session_helpers import FakeClock

TTL = timedelta(minutes=30)


def record(clock: FakeClock, user_id: str = "u1") -> SessionRecord:
    return SessionRecord(
        data={"n": 1}, user_id=user_id, created_at=clock(), last_seen=clock(), user_agent="Firefox"
    )


async def test_a_session_ended_by_another_process_no_longer_loads(tmp_path: Path) -> None:
    clock = FakeClock()
    path = tmp_path / "sessions.db"
    store = SQLiteSessionStore(path, clock=clock)
    try:
        await store.save("s1", record(clock), ttl=TTL)
        for _ in range(2):  # the second answer may come from memory
            assert await store.load("s1") is not None
            assert len(await store.list_user_sessions("u1")) == 1

        # Another process (a second server, `gatepass` on the command line) ends it.
        with sqlite3.connect(path) as other:
            other.execute("DELETE FROM gatepass_sessions WHERE id = 's1'")
        assert await store.load("s1") is None
        assert await store.list_user_sessions("u1") == []
    finally:
        await store.close()


async def test_a_remembered_session_still_expires_on_time(tmp_path: Path) -> None:
    clock = FakeClock()
    store = SQLiteSessionStore(tmp_path / "sessions.db", clock=clock)
    try:
        await store.save("s1", record(clock), ttl=TTL)
        assert await store.load("s1") is not None
        assert len(await store.list_user_sessions("u1")) == 1
        clock.advance(TTL + timedelta(seconds=1))
        assert await store.load("s1") is None
        assert await store.list_user_sessions("u1") == []
    finally:
        await store.close()


async def test_each_load_is_a_fresh_copy(tmp_path: Path) -> None:
    clock = FakeClock()
    store = SQLiteSessionStore(tmp_path / "sessions.db", clock=clock)
    try:
        await store.save("s1", record(clock), ttl=TTL)
        first = await store.load("s1")
        assert first is not None
        first.data["n"] = 2  # a request changing its session before saving it
        again = await store.load("s1")
        assert again is not None
        assert again.data == {"n": 1}
    finally:
        await store.close()
