"""A failing store answers with a generic 503 message; the driver's text goes to the log.

The message of a ``StoreUnavailableError`` becomes a client's response body, so it
must not carry paths, addresses or driver output (OWASP ASVS 7.4.1); the cause stays
on ``__cause__`` and in a warning for operators.
"""

from __future__ import annotations

import logging
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from gatepass.errors import StoreUnavailableError
from gatepass.tokens.refresh import hash_refresh_token
from gatepass.tokens.stores import (
    RedisRefreshStore,
    RedisRevocationStore,
    SQLiteRefreshStore,
    SQLiteRevocationStore,
)

from .helpers import START, FakeClock, refresh_record, unreachable_redis

GENERIC = "The token store is unavailable."


def assert_generic_and_logged(
    error: StoreUnavailableError, caplog: pytest.LogCaptureFixture, cause: type[BaseException]
) -> None:
    assert error.message == GENERIC
    assert error.to_dict() == {"error": "store_unavailable", "message": GENERIC}
    assert isinstance(error.__cause__, cause)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings, "the driver error is logged for operators"
    assert warnings[-1].name.startswith("gatepass.tokens.stores")
    assert warnings[-1].exc_info is not None


async def test_sqlite_store_that_cannot_open_does_not_show_its_path(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "a-folder"  # a directory, not a database file
    path.mkdir()
    store = SQLiteRefreshStore(path, clock=FakeClock())
    with caplog.at_level(logging.WARNING), pytest.raises(StoreUnavailableError) as caught:
        await store.add(refresh_record())
    assert "a-folder" not in caught.value.message
    assert_generic_and_logged(caught.value, caplog, sqlite3.Error)
    await store.aclose()


async def test_sqlite_store_whose_schema_fails_does_not_show_the_driver_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "tokens.sqlite3"
    path.write_bytes(b"this is not a SQLite database, but a file of text" * 100)
    store = SQLiteRevocationStore(path, clock=FakeClock())
    with caplog.at_level(logging.WARNING), pytest.raises(StoreUnavailableError) as caught:
        await store.revoke_token("j", expires_at=START + 60)
    assert "not a database" not in caught.value.message
    assert_generic_and_logged(caught.value, caplog, sqlite3.Error)
    await store.aclose()


async def test_sqlite_query_failure_does_not_show_the_driver_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "tokens.sqlite3"
    store = SQLiteRefreshStore(path, clock=FakeClock())
    await store.add(refresh_record())
    with closing(sqlite3.connect(path)) as other:
        other.execute("DROP TABLE gatepass_refresh_tokens")
        other.commit()
    with caplog.at_level(logging.WARNING), pytest.raises(StoreUnavailableError) as caught:
        await store.spend(hash_refresh_token("t"))
    assert "no such table" not in caught.value.message
    assert_generic_and_logged(caught.value, caplog, sqlite3.Error)
    await store.aclose()


async def test_redis_outage_does_not_show_the_address_or_driver_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = unreachable_redis()
    refresh = RedisRefreshStore(client, clock=FakeClock())
    revocations = RedisRevocationStore(client, clock=FakeClock())
    try:
        with caplog.at_level(logging.WARNING), pytest.raises(StoreUnavailableError) as caught:
            await refresh.add(refresh_record())
        assert "127.0.0.1" not in caught.value.message
        assert_generic_and_logged(caught.value, caplog, Exception)
        with caplog.at_level(logging.WARNING), pytest.raises(StoreUnavailableError) as again:
            await revocations.is_revoked(jti="j")
        assert_generic_and_logged(again.value, caplog, Exception)
    finally:
        await client.aclose()
