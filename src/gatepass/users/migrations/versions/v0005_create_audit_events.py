"""Create the audit trail: one row per stored security event.

Revision ID: 0005_create_audit_events
Revises: 0004_add_mfa
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005_create_audit_events"
down_revision: str | None = "0004_add_mfa"
branch_labels: str | None = None
depends_on: str | None = None

_TABLE = "gatepass_audit_events"


def upgrade() -> None:
    """Create ``gatepass_audit_events`` and the indexes its queries use."""
    op.create_table(
        _TABLE,
        # An increasing id is the cursor of a page (newest first); SQLite numbers only
        # an INTEGER primary key by itself.
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        # No foreign key: the trail of a deleted account is still evidence.
        sa.Column("user_id", sa.String(64), nullable=True),
        sa.Column("account", sa.String(32), nullable=True),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("user_agent", sa.String(512), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    op.create_index("ix_gatepass_audit_events_user_id", _TABLE, ["user_id", "id"])
    op.create_index("ix_gatepass_audit_events_account", _TABLE, ["account", "id"])
    op.create_index("ix_gatepass_audit_events_type", _TABLE, ["type", "id"])
    op.create_index("ix_gatepass_audit_events_at", _TABLE, ["at"])


def downgrade() -> None:
    """Drop ``gatepass_audit_events``."""
    op.drop_table(_TABLE)
