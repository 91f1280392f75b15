"""Add second factors: each user's TOTP secret (encrypted), recovery-code hashes, passkeys.

Revision ID: 0004_add_mfa
Revises: 0003_add_email_verified
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004_add_mfa"
down_revision: str | None = "0003_add_email_verified"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create ``gatepass_user_totp``, ``gatepass_user_recovery_codes``, ``..._passkeys``."""
    op.create_table(
        "gatepass_user_totp",
        sa.Column(
            "user_id",
            sa.String(64),
            sa.ForeignKey("gatepass_users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        # ``kid:ciphertext`` (AES-GCM), never the plain secret.
        sa.Column("secret", sa.String(512), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        # The newest accepted time step: a replayed code is refused (RFC 6238 §5.2).
        sa.Column("last_step", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "gatepass_user_recovery_codes",
        sa.Column(
            "user_id",
            sa.String(64),
            sa.ForeignKey("gatepass_users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("code_hash", sa.String(64), primary_key=True),
    )
    op.create_table(
        "gatepass_user_passkeys",
        # base64url of the credential id (up to 1023 bytes); the key makes one
        # credential belong to one user.
        sa.Column("credential_id", sa.String(1400), primary_key=True),
        sa.Column(
            "user_id",
            sa.String(64),
            sa.ForeignKey("gatepass_users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False),
        sa.Column("transports", sa.String(200), nullable=False),
        sa.Column("backup_eligible", sa.Boolean(), nullable=False),
        sa.Column("backed_up", sa.Boolean(), nullable=False),
        sa.Column("aaguid", sa.String(36), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_gatepass_user_passkeys_user_id", "gatepass_user_passkeys", ["user_id"])


def downgrade() -> None:
    """Drop the three tables."""
    op.drop_index("ix_gatepass_user_passkeys_user_id", table_name="gatepass_user_passkeys")
    op.drop_table("gatepass_user_passkeys")
    op.drop_table("gatepass_user_recovery_codes")
    op.drop_table("gatepass_user_totp")
