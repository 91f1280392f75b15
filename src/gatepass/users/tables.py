"""The user table as the queries see it; its history lives in ``migrations/``."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    LargeBinary,
    MetaData,
    String,
    Table,
)

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
    # Revision 0003.
    Column("email_verified", Boolean, nullable=False, server_default=sa.false()),
    Index("ux_gatepass_users_email", "email", unique=True),
)

# Revision 0002: a provider identity (provider, subject) -> a local user.
user_identities = Table(
    "gatepass_user_identities",
    metadata,
    Column("provider", String(64), primary_key=True),
    Column("subject", String(255), primary_key=True),
    Column(
        "user_id",
        String(64),
        sa.ForeignKey("gatepass_users.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("email", String(320), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_gatepass_user_identities_user_id", "user_id"),
)

# Revision 0004: a user's TOTP factor (encrypted secret) and recovery-code hashes.
user_totp = Table(
    "gatepass_user_totp",
    metadata,
    Column(
        "user_id",
        String(64),
        sa.ForeignKey("gatepass_users.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("secret", String(512), nullable=False),
    Column("confirmed", Boolean, nullable=False),
    Column("last_step", BigInteger, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

user_recovery_codes = Table(
    "gatepass_user_recovery_codes",
    metadata,
    Column(
        "user_id",
        String(64),
        sa.ForeignKey("gatepass_users.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("code_hash", String(64), primary_key=True),
)

# Revision 0004 too: passkeys (WebAuthn credentials); the id as base64url text.
user_passkeys = Table(
    "gatepass_user_passkeys",
    metadata,
    Column("credential_id", String(1400), primary_key=True),
    Column(
        "user_id",
        String(64),
        sa.ForeignKey("gatepass_users.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("public_key", LargeBinary, nullable=False),
    Column("sign_count", BigInteger, nullable=False),
    Column("transports", String(200), nullable=False),
    Column("backup_eligible", Boolean, nullable=False),
    Column("backed_up", Boolean, nullable=False),
    Column("aaguid", String(36), nullable=False),
    Column("name", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_gatepass_user_passkeys_user_id", "user_id"),
)
