"""Alembic migrations of the user tables, run by ``gatepass.users.migrate()``."""
