"""Bring the user schema to the newest revision, programmatically, on first start.

The Alembic scripts ship inside the package (``gatepass/users/migrations``), so an
installed wheel migrates its own database; a start on an up-to-date database does
nothing. Later tables (OAuth identities: provider, subject -> user) are new
revisions on this chain.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"
# A version table of our own, so an app's own Alembic history in the same database
# is left alone.
VERSION_TABLE = "gatepass_users_version"
# Any fixed 64-bit number: serializes concurrent first starts on one PostgreSQL database.
_PG_LOCK_KEY = 0x6761_7465_7573_6572  # "gateuser"


def _upgrade(connection: Connection, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    if connection.dialect.name == "postgresql":
        # Two server processes starting at once must not both create the table.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    command.upgrade(config, revision)


async def migrate(engine: AsyncEngine, *, revision: str = "head") -> None:
    """Apply every user-schema migration the database does not have yet.

    Args:
        engine: an async engine on the user database.
        revision: the revision to reach; the newest by default.

    Raises:
        sqlalchemy.exc.SQLAlchemyError: the database refused; ``SQLUserStore.open``
            translates connection failures into ``StoreUnavailableError``.
    """
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade, revision)
