"""``UserStore`` on SQLAlchemy 2 async: SQLite (aiosqlite) or PostgreSQL (asyncpg).

SQLAlchemy and driver exceptions are translated here and nowhere else: a database
that cannot be reached is ``StoreUnavailableError`` (503, fail closed), a duplicate
email is ``UserExistsError`` (409), never a leaked ``IntegrityError``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import ColumnElement, event, false, select, update
from sqlalchemy.engine import URL, RowMapping
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    IntegrityError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from gatepass._folders import sqlite_file_folder
from gatepass.audit.tracing import SPAN_STORE, span
from gatepass.errors import (
    ConfigurationError,
    InvalidEmailError,
    StoreUnavailableError,
    UserExistsError,
)
from gatepass.users.emails import legacy_email_key, normalize_email
from gatepass.users.ids import Clock, IdFactory, as_utc, new_user_id, utc_now
from gatepass.users.model import User
from gatepass.users.schema import migrate
from gatepass.users.sql_url import async_database_url
from gatepass.users.tables import users

_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_UNAVAILABLE = (
    OperationalError,
    InterfaceError,
    DisconnectionError,
    PoolTimeoutError,
    OSError,
    TimeoutError,
)


class SQLUserStore:
    """A ``UserStore`` in a SQL database; ``open()`` creates or upgrades the schema.

    Use ``async with SQLUserStore(url) as store:`` or ``await store.open()`` /
    ``await store.close()``.

    Args:
        url: ``sqlite+aiosqlite:///path/users.db`` (``sqlite:///`` is accepted) or
            ``postgresql://user@host/db`` (run through asyncpg).
        schema: PostgreSQL only: the schema (``search_path``) the tables live in; it
            must exist.
        clock: returns "now" for ``created_at``.
        id_factory: returns a new user id.
        migrate_on_open: run the migrations in ``open()``; turn off when a deploy
            step runs ``gatepass.users.schema`` itself.
        engine_options: extra keyword arguments for ``create_async_engine``.
        on_change: awaited after every committed write (a cache in front of the store
            forgets what it holds, and tells other processes; see ``UserCache``).

    Raises:
        ConfigurationError: the URL or schema name is not usable.
    """

    def __init__(
        self,
        url: str | URL,
        *,
        schema: str | None = None,
        clock: Clock = utc_now,
        id_factory: IdFactory = new_user_id,
        migrate_on_open: bool = True,
        engine_options: Mapping[str, Any] | None = None,
        on_change: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.url = async_database_url(url)
        # A server database can drop pooled connections (restart, failover): test each
        # one on checkout so the store recovers by itself. A SQLite file cannot.
        pre_ping = self.url.get_backend_name() != "sqlite"
        self._options: dict[str, Any] = {"pool_pre_ping": pre_ping, **(engine_options or {})}
        if schema is not None:
            if self.url.get_backend_name() != "postgresql" or not _SCHEMA_NAME.fullmatch(schema):
                raise ConfigurationError(
                    "schema= is for PostgreSQL only and must be a lower-case identifier."
                )
            connect_args = dict(self._options.get("connect_args", {}))
            connect_args["server_settings"] = {"search_path": schema}
            self._options["connect_args"] = connect_args
        self._clock = clock
        self._new_id = id_factory
        self._migrate_on_open = migrate_on_open
        self._engine: AsyncEngine | None = None
        self.on_change = on_change
        # ``() -> (local, shared)`` that moves on every change by any process (set by
        # the owner of a ``UserCache``); readers may keep answers while it holds still.
        self.change_version: Callable[[], tuple[int, int]] | None = None

    async def open(self) -> None:
        """Connect and bring the schema up to date (a no-op on an up-to-date database).

        Raises:
            ConfigurationError: the folder of a SQLite database file is missing and
                cannot be created.
            StoreUnavailableError: the database cannot be reached.
        """
        if self._engine is not None:
            return
        self._check_sqlite_folder()
        engine = create_async_engine(self.url, **self._options)
        if self.url.get_backend_name() == "sqlite":
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        try:
            if self._migrate_on_open:
                async with _translated():
                    await migrate(engine)
        except BaseException:
            await engine.dispose()
            raise
        self._engine = engine

    def _check_sqlite_folder(self) -> None:
        database = self.url.database
        if self.url.get_backend_name() == "sqlite" and database:
            sqlite_file_folder(database, what="user store")

    async def close(self) -> None:
        """Close every pooled connection; the store can be opened again."""
        if self._engine is not None:
            engine, self._engine = self._engine, None
            await engine.dispose()

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def find_by_id(self, user_id: str) -> User | None:
        """Return the user with this id, or ``None`` (see ``UserStore``)."""
        async with self._connect() as connection:
            row = (await connection.execute(select(users).where(users.c.id == user_id))).first()
        return None if row is None else _to_user(row._mapping)

    async def find_by_email(self, email: str) -> User | None:
        """Return the user with this email, or ``None`` (see ``UserStore``)."""
        try:
            key = normalize_email(email)
        except InvalidEmailError:
            return None
        legacy = legacy_email_key(email)
        async with self._connect() as connection:
            row = (await connection.execute(select(users).where(users.c.email == key))).first()
            if row is None and legacy is not None:
                # A row stored under the first normal form (see legacy_email_key).
                query = select(users).where(users.c.email == legacy)
                row = (await connection.execute(query)).first()
        return None if row is None else _to_user(row._mapping)

    async def create(
        self,
        *,
        email: str,
        password_hash: str | None,
        display_name: str | None = None,
        email_verified: bool = False,
    ) -> User:
        """Create a user (see ``UserStore``).

        Raises:
            InvalidEmailError: ``email`` is not an address.
            UserExistsError: the normalized email is taken, also under a race: the
                unique index decides and the loser gets this error.
            StoreUnavailableError: the database cannot be reached.
        """
        user = User(
            id=self._new_id(),
            email=normalize_email(email),
            password_hash=password_hash,
            is_active=True,
            created_at=as_utc(self._clock()),
            display_name=display_name,
            email_verified=email_verified,
        )
        try:
            async with self._connect(write=True) as connection:
                await connection.execute(
                    users.insert().values(
                        id=user.id,
                        email=user.email,
                        password_hash=user.password_hash,
                        is_active=user.is_active,
                        created_at=user.created_at,
                        display_name=user.display_name,
                        email_verified=user.email_verified,
                    )
                )
        except IntegrityError as exc:
            raise UserExistsError() from exc
        return user

    async def set_password_hash(
        self, user_id: str, password_hash: str | None, *, expected: str | None = None
    ) -> User | None:
        """Replace a user's password hash, if still ``expected`` (see ``UserStore``)."""
        # Compare-and-set in the UPDATE's WHERE: the database checks and writes in one
        # statement, so a rehash cannot overwrite a password changed in between.
        condition = None if expected is None else users.c.password_hash == expected
        return await self._update(user_id, {"password_hash": password_hash}, condition)

    async def verify_email(self, user_id: str, *, remove_password: bool = False) -> User | None:
        """Mark the email verified while it is not (see ``UserStore``)."""
        # The WHERE makes it a compare-and-set: one of two racing calls writes.
        values: dict[str, Any] = {"email_verified": True}
        if remove_password:
            values["password_hash"] = None
        return await self._update(user_id, values, users.c.email_verified == false())

    async def change_email(self, user_id: str, new_email: str) -> User | None:
        """Give a user a new, verified address (see ``UserStore``).

        Raises:
            InvalidEmailError: ``new_email`` is not an address.
            UserExistsError: another account has the normalized address; the unique
                index decides a race.
            StoreUnavailableError: the database cannot be reached.
        """
        values = {"email": normalize_email(new_email), "email_verified": True}
        try:
            return await self._update(user_id, values)
        except IntegrityError as exc:
            raise UserExistsError() from exc

    async def disable(self, user_id: str) -> User | None:
        """Mark a user inactive (see ``UserStore``)."""
        return await self._update(user_id, {"is_active": False})

    async def list_users(self, *, limit: int = 100, offset: int = 0) -> list[User]:
        """Return users oldest first (see ``UserStore``)."""
        query = (
            select(users)
            .order_by(users.c.created_at, users.c.id)
            .limit(max(limit, 0))
            .offset(max(offset, 0))
        )
        async with self._connect() as connection:
            rows = (await connection.execute(query)).all()
        return [_to_user(row._mapping) for row in rows]

    async def _update(
        self,
        user_id: str,
        values: dict[str, Any],
        condition: ColumnElement[bool] | None = None,
    ) -> User | None:
        statement = update(users).where(users.c.id == user_id)
        if condition is not None:
            statement = statement.where(condition)
        async with self._connect(write=True) as connection:
            result = await connection.execute(statement.values(**values))
            if result.rowcount == 0:
                return None
            row = (await connection.execute(select(users).where(users.c.id == user_id))).first()
        return None if row is None else _to_user(row._mapping)

    @asynccontextmanager
    async def _connect(
        self, *, write: bool = False, notify: bool = True
    ) -> AsyncIterator[AsyncConnection]:
        # notify=False: a write of a table that holds no user or link (audit events, MFA
        # state, passkeys) must not empty every process's user cache.
        if self._engine is None:
            raise ConfigurationError(
                "SQLUserStore is not open; use 'async with SQLUserStore(url) as store' "
                "or 'await store.open()' at startup."
            )
        with span(SPAN_STORE, store="users", write=write):
            async with _translated():
                if write:
                    async with self._engine.begin() as connection:
                        yield connection
                    # Committed: every write method passes here, so none is missed.
                    if notify and self.on_change is not None:
                        await self.on_change()
                else:
                    async with self._engine.connect() as connection:
                        yield connection


@asynccontextmanager
async def _translated() -> AsyncIterator[None]:
    """Turn "cannot reach the database" into ``StoreUnavailableError`` (fail closed)."""
    try:
        yield
    except IntegrityError:
        raise
    except _UNAVAILABLE as exc:
        raise StoreUnavailableError() from exc
    except DBAPIError as exc:
        if exc.connection_invalidated or _lost_connection(exc.orig):
            raise StoreUnavailableError() from exc
        raise


def _connection_errors() -> tuple[type[BaseException], ...]:
    errors: tuple[type[BaseException], ...] = (OSError, TimeoutError)
    asyncpg = sys.modules.get("asyncpg")
    if asyncpg is not None:
        # SQLSTATE class 08 "connection exception", e.g. a link lost in the handshake.
        errors += (asyncpg.exceptions.PostgresConnectionError,)
    return errors


def _lost_connection(error: BaseException | None) -> bool:
    """Whether a driver error (or what caused it) says the database link is gone."""
    kinds = _connection_errors()
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, kinds):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # Wait for a concurrent writer instead of failing at once; WAL lets readers
    # run beside the writer. Foreign keys are off in SQLite unless asked for.
    cursor.execute("PRAGMA busy_timeout = 5000")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _to_user(row: RowMapping) -> User:
    created_at: datetime = row["created_at"]
    if created_at.tzinfo is None:
        # SQLite keeps no offset; gatepass only ever writes UTC.
        created_at = created_at.replace(tzinfo=UTC)
    return User(
        id=row["id"],
        email=row["email"],
        password_hash=row["password_hash"],
        is_active=bool(row["is_active"]),
        created_at=created_at,
        display_name=row["display_name"],
        email_verified=bool(row["email_verified"]),
    )
