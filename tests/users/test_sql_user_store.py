"""What only the SQL store does: URLs, migrations on start, fail-closed errors."""

from __future__ import annotations

import asyncio
import sqlite3
import stat
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from gatepass.audit.sql import audit_events
from gatepass.errors import ConfigurationError, StoreUnavailableError
from gatepass.users import SQLUserStore, async_database_url, migrate
from gatepass.users.schema import MIGRATIONS, VERSION_TABLE
from gatepass.users.tables import metadata
from service_helpers import tcp_proxy


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:////data/users.db", "sqlite+aiosqlite:////data/users.db"),
        ("sqlite+aiosqlite:///users.db", "sqlite+aiosqlite:///users.db"),
        ("postgresql://u@db:5432/app", "postgresql+asyncpg://u@db:5432/app"),
        ("postgres://u@db/app", "postgresql+asyncpg://u@db/app"),
        ("postgresql+asyncpg://u@db/app", "postgresql+asyncpg://u@db/app"),
    ],
)
def test_urls_get_the_async_driver(given: str, expected: str) -> None:
    assert async_database_url(given).render_as_string(hide_password=False) == expected


@pytest.mark.parametrize(
    "url", ["mysql://u@db/app", "postgresql+psycopg2://u@db/app", "sqlite+pysqlite:///x", "::"]
)
def test_unsupported_urls_are_a_configuration_error(url: str) -> None:
    with pytest.raises(ConfigurationError):
        SQLUserStore(url)


def test_schema_is_refused_for_sqlite_and_for_odd_names(sqlite_url: str) -> None:
    with pytest.raises(ConfigurationError):
        SQLUserStore(sqlite_url, schema="users")
    with pytest.raises(ConfigurationError):
        SQLUserStore("postgresql://u@db/app", schema='x"; DROP TABLE y; --')


async def test_using_a_store_that_is_not_open_says_how_to_fix_it(sqlite_url: str) -> None:
    with pytest.raises(ConfigurationError, match="open"):
        await SQLUserStore(sqlite_url).find_by_id("x")


def test_migration_scripts_ship_inside_the_package() -> None:
    assert (MIGRATIONS / "env.py").is_file()
    assert list((MIGRATIONS / "versions").glob("v0001_*.py"))
    assert "gatepass/users/migrations" in MIGRATIONS.as_posix()


async def test_second_start_on_the_same_sqlite_file_is_a_no_op(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with SQLUserStore(sqlite_url) as store:
        user = await store.create(email="kept@example.com", password_hash="h")
    async with SQLUserStore(sqlite_url) as store:
        assert await store.find_by_id(user.id) == user
    with sqlite3.connect(tmp_path / "users.db") as db:
        versions = db.execute("SELECT version_num FROM gatepass_users_version").fetchall()
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert VERSION_TABLE == "gatepass_users_version"
    assert versions == [(ScriptDirectory(str(MIGRATIONS)).get_current_head(),)]
    assert {"gatepass_users", VERSION_TABLE, "ux_gatepass_users_email"} <= tables


@pytest.mark.postgres
async def test_second_start_on_the_same_postgres_schema_is_a_no_op(
    postgres_url: str, pg_schema: str
) -> None:
    async with SQLUserStore(postgres_url, schema=pg_schema) as store:
        user = await store.create(email="kept@example.com", password_hash="h")
    async with SQLUserStore(postgres_url, schema=pg_schema) as store:
        assert await store.find_by_id(user.id) == user
    engine = create_async_engine(async_database_url(postgres_url))
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(
                lambda sync: inspect(sync).get_table_names(schema=pg_schema)
            )
    finally:
        await engine.dispose()
    # Every table the queries know, and the version table: nothing more, nothing less.
    assert sorted(tables) == sorted([*metadata.tables, audit_events.name, VERSION_TABLE])


@pytest.mark.postgres
async def test_concurrent_first_starts_on_postgres_create_the_schema_once(
    postgres_url: str, pg_schema: str
) -> None:
    stores = [SQLUserStore(postgres_url, schema=pg_schema) for _ in range(3)]
    await asyncio.gather(*(store.open() for store in stores))
    for store in stores:
        await store.close()


async def test_migrate_can_be_run_apart_from_open(sqlite_url: str) -> None:
    engine = create_async_engine(async_database_url(sqlite_url))
    try:
        await migrate(engine)
        await migrate(engine)
    finally:
        await engine.dispose()
    async with SQLUserStore(sqlite_url, migrate_on_open=False) as store:
        assert await store.list_users() == []


async def test_unreachable_postgres_is_store_unavailable_503() -> None:
    store = SQLUserStore("postgresql://postgres@127.0.0.1:1/test")
    with pytest.raises(StoreUnavailableError) as caught:
        await store.open()
    assert caught.value.status_code == 503
    assert caught.value.to_dict()["error"] == "store_unavailable"


async def test_sqlite_file_in_a_missing_folder_gets_a_private_folder(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "gatepass"
    async with SQLUserStore(f"sqlite:///{folder / 'users.db'}") as store:
        user = await store.create(email="ann@example.com", password_hash="h")
        assert (await store.find_by_email("ann@example.com")) == user
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700


async def test_sqlite_folder_that_cannot_be_made_fails_at_open_naming_it(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    store = SQLUserStore(f"sqlite:///{tmp_path / 'a-file' / 'db' / 'users.db'}")
    with pytest.raises(ConfigurationError, match=r"users\.db, but .*a-file is not a folder"):
        await store.open()


@pytest.mark.postgres
async def test_postgres_outage_fails_closed_and_recovers_by_itself(
    postgres_url: str, pg_schema: str
) -> None:
    target = async_database_url(postgres_url)
    async with tcp_proxy(target.port or 5432) as (port, proxy):
        proxied = target.set(host="127.0.0.1", port=port)
        async with SQLUserStore(proxied, schema=pg_schema) as store:
            user = await store.create(email="outage@example.com", password_hash="h")
            proxy.cut()
            with pytest.raises(StoreUnavailableError):
                await store.find_by_id(user.id)
            with pytest.raises(StoreUnavailableError):
                await store.create(email="during@example.com", password_hash="h")
            proxy.restore()
            assert await store.find_by_id(user.id) == user
            assert await store.find_by_email("during@example.com") is None


async def test_rows_of_the_first_email_form_are_found_without_merging_mailboxes(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with SQLUserStore(sqlite_url):
        pass
    # Rows the first normal form (NFKC + casefold) wrote: "JÖRG@" and "Straße@" as typed.
    with sqlite3.connect(tmp_path / "users.db") as db:
        db.executemany(
            "INSERT INTO gatepass_users (id, email, password_hash, is_active, created_at) "
            "VALUES (?, ?, 'h', 1, '2026-01-01 00:00:00')",
            [("j", "jörg@example.com"), ("s", "strasse@example.com")],
        )
    async with SQLUserStore(sqlite_url) as store:
        found = await store.find_by_email("JÖRG@example.com")
        assert found is not None
        assert found.id == "j"
        # "ß" never reaches the row of "ss" (CWE-178), whoever wrote it.
        assert await store.find_by_email("Straße@example.com") is None
        assert await store.find_by_email("STRASSE@example.com") is not None
