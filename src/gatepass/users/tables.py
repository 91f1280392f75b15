"""The user table as the queries see it; its history lives in ``migrations/``."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Index, MetaData, String, Table

metadata = MetaData()

users = Table(
    "gatepass_users",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("email", String(320), nullable=False),
    Column("password_hash", String(512), nullable=True),
    Column("is_active", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("display_name", String(200), nullable=True),
    Index("ux_gatepass_users_email", "email", unique=True),
)
