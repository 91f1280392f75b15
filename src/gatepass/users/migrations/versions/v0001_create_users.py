"""Create the user table with a unique index on the normalized email.

Revision ID: 0001_create_users
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001_create_users"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create ``gatepass_users``."""
    op.create_table(
        "gatepass_users",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("password_hash", sa.String(512), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=True),
    )
    # Uniqueness is enforced by the database, so two racing sign-ups cannot both win.
    op.create_index("ux_gatepass_users_email", "gatepass_users", ["email"], unique=True)


def downgrade() -> None:
    """Drop ``gatepass_users``."""
    op.drop_index("ux_gatepass_users_email", table_name="gatepass_users")
    op.drop_table("gatepass_users")
