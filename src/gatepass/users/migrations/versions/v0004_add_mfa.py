"""Add second factors: each user's TOTP secret (encrypted) and recovery-code hashes.

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
    """Create ``gatepass_user_totp`` and ``gatepass_user_recovery_codes``."""
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


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table("gatepass_user_recovery_codes")
    op.drop_table("gatepass_user_totp")
