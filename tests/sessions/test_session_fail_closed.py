"""Fail closed: a store outage answers 503 and logs nobody in; the app recovers by itself."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from gatepass.errors import StoreUnavailableError
from gatepass.sessions.stores.redis import RedisSessionStore
from gatepass.sessions.stores.sqlite import SQLiteSessionStore
from service_helpers import RedisProcess, running_redis
from sessions.session_helpers import client_for, session_app


@pytest.fixture
def private_redis(redis_url: str) -> Iterator[RedisProcess]:
    # Depending on redis_url makes this mandatory in CI and skipped without Redis.
    with running_redis() as server:
        yield server


async def test_redis_outage_answers_503_and_recovers_without_restarting_the_app(
    private_redis: RedisProcess,
) -> None:
    store = RedisSessionStore.from_url(private_redis.url, timeout=0.5)
    app = session_app(store)
    try:
        async with client_for(app) as client:
            assert (await client.post("/login", params={"user": "alice"})).status_code == 200
            assert (await client.get("/show")).json()["data"] == {"_gatepass_uid": "alice"}

            private_redis.kill()
            response = await client.get("/show")
            assert response.status_code == 503
            assert response.json()["error"] == "store_unavailable"
            assert "alice" not in response.text
            page = await client.get("/show", headers={"accept": "text/html"})
            assert page.status_code == 503
            assert page.headers["content-type"].startswith("text/html")
            assert "Store unavailable" in page.text
            # A login cannot be recorded either: 503, not a half-logged-in 200.
            client.cookies.clear()
            assert (await client.post("/login", params={"user": "bob"})).status_code == 503
            assert "set-cookie" not in (await client.get("/show")).headers

            private_redis.start()
            assert (await client.get("/show")).status_code == 200
            assert (await client.post("/login", params={"user": "alice"})).status_code == 200
            assert (await client.get("/show")).json()["data"] == {"_gatepass_uid": "alice"}
    finally:
        await store.close()


async def test_redis_errors_become_store_unavailable(private_redis: RedisProcess) -> None:
    store = RedisSessionStore.from_url(private_redis.url, timeout=0.5)
    private_redis.kill()
    try:
        with pytest.raises(StoreUnavailableError):
            await store.load("any")
        with pytest.raises(StoreUnavailableError):
            await store.list_user_sessions("alice")
    finally:
        await store.close()


async def test_locked_sqlite_answers_503_and_recovers_when_the_lock_is_released(
    tmp_path: Path,
) -> None:
    path = tmp_path / "sessions.db"
    store = SQLiteSessionStore(path, timeout=0.05)
    app = session_app(store)
    try:
        async with client_for(app) as client:
            await client.post("/login", params={"user": "alice"})
            holder = sqlite3.connect(path, isolation_level=None)
            holder.execute("BEGIN EXCLUSIVE")
            try:
                # WAL mode lets reads through a writer's lock; a write must wait and fail.
                response = await client.post("/set", params={"cart": "1"})
                assert response.status_code == 503
                assert response.json()["error"] == "store_unavailable"
            finally:
                holder.execute("ROLLBACK")
                holder.close()
            assert (await client.get("/show")).json()["data"] == {"_gatepass_uid": "alice"}
    finally:
        await store.close()


async def test_unopenable_sqlite_path_answers_503(tmp_path: Path) -> None:
    store = SQLiteSessionStore(tmp_path)  # a directory, not a database file
    try:
        async with client_for(session_app(store)) as client:
            response = await client.post("/login", params={"user": "alice"})
            assert response.status_code == 503
            assert response.json() == {
                "error": "store_unavailable",
                "message": response.json()["message"],
            }
            assert "Traceback" not in response.text
    finally:
        await store.close()


async def test_store_failure_answer_follows_accept_preferences(tmp_path: Path) -> None:
    store = SQLiteSessionStore(tmp_path)  # a directory, not a database file
    try:
        async with client_for(session_app(store)) as client:
            ranked_json = await client.post(
                "/login",
                params={"user": "a"},
                headers={"accept": "application/json, text/html;q=0.1"},
            )
            browser = await client.post(
                "/login",
                params={"user": "a"},
                headers={"accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
            )
    finally:
        await store.close()
    assert ranked_json.status_code == 503
    assert ranked_json.json()["error"] == "store_unavailable"
    assert browser.headers["content-type"].startswith("text/html")


async def test_sqlite_failure_message_does_not_echo_the_driver_error(tmp_path: Path) -> None:
    store = SQLiteSessionStore(tmp_path)  # a directory, not a database file
    try:
        with pytest.raises(StoreUnavailableError) as caught:
            await store.load("any")
    finally:
        await store.close()
    assert "unable to open" not in caught.value.message
    assert str(tmp_path) not in caught.value.message
    assert caught.value.__cause__ is not None


async def test_redis_failure_message_does_not_echo_the_driver_error(
    private_redis: RedisProcess,
) -> None:
    store = RedisSessionStore.from_url(private_redis.url, timeout=0.5)
    private_redis.kill()
    try:
        with pytest.raises(StoreUnavailableError) as caught:
            await store.load("any")
    finally:
        await store.close()
    assert str(private_redis.port) not in caught.value.message
    assert "127.0.0.1" not in caught.value.message
    assert caught.value.__cause__ is not None
