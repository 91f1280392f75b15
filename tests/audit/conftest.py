"""Audit-store fixtures: one ``store`` fixture per backend, for the shared contract suite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gatepass.audit import AuditStore, MemoryAuditStore, SQLAuditStore
from gatepass.users import SQLUserStore
from service_helpers import fresh_schema


@pytest.fixture(
    params=[
        "memory",
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
    ]
)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AuditStore]:
    """Every ``AuditStore`` backend in turn: memory, SQLite file, PostgreSQL schema."""
    if request.param == "memory":
        yield MemoryAuditStore()
        return
    if request.param == "sqlite":
        async with SQLUserStore(f"sqlite:///{tmp_path / 'users.db'}") as users:
            yield SQLAuditStore(users)
        return
    postgres_url: str = request.getfixturevalue("postgres_url")
    async with (
        fresh_schema(postgres_url, "gatepass_audit_test_") as schema,
        SQLUserStore(postgres_url, schema=schema) as users,
    ):
        yield SQLAuditStore(users)
