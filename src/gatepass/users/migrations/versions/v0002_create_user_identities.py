"""Create the table of provider identities: (provider, subject) -> user.

Revision ID: 0002_create_user_identities
Revises: 0001_create_users
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002_create_user_identities"
down_revision: str | None = "0001_create_users"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create ``gatepass_user_identities``."""
    op.create_table(
        "gatepass_user_identities",
        # The primary key makes one provider account map to one user, decided by the
        # database even when two first sign-ins race.
        sa.Column("provider", sa.String(64), primary_key=True),
        sa.Column("subject", sa.String(255), primary_key=True),
        sa.Column(
            "user_id",
            sa.String(64),
            sa.ForeignKey("gatepass_users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_gatepass_user_identities_user_id", "gatepass_user_identities", ["user_id"])


def downgrade() -> None:
    """Drop ``gatepass_user_identities``."""
    op.drop_index("ix_gatepass_user_identities_user_id", table_name="gatepass_user_identities")
    op.drop_table("gatepass_user_identities")
