"""Alembic environment: runs on the connection ``gatepass.users.migrate()`` hands over."""

from __future__ import annotations

from alembic import context

from gatepass.users.schema import VERSION_TABLE

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "gatepass user migrations run through gatepass.users.migrate(engine) "
        "(SQLUserStore.open() calls it); the alembic command line is not wired."
    )

context.configure(connection=connection, version_table=VERSION_TABLE)
with context.begin_transaction():
    context.run_migrations()
