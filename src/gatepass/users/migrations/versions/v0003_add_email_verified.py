"""Add ``email_verified`` to the users: who has proved they receive mail at their address.

Existing rows are unverified, except accounts without a password that have a
provider link: those were created by a provider sign-in, which needs a verified
email unless the app allowed unverified sign-ups.

Revision ID: 0003_add_email_verified
Revises: 0002_create_user_identities
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003_add_email_verified"
down_revision: str | None = "0002_create_user_identities"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add the column (false) and mark provider-made accounts verified."""
    op.add_column(
        "gatepass_users",
        sa.Column("email_verified", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    users = sa.table(
        "gatepass_users",
        sa.column("id", sa.String),
        sa.column("password_hash", sa.String),
        sa.column("email_verified", sa.Boolean),
    )
    identities = sa.table("gatepass_user_identities", sa.column("user_id", sa.String))
    linked = sa.exists().where(identities.c.user_id == users.c.id)
    op.execute(
        users.update()
        .where(users.c.password_hash.is_(None), linked)
        .values(email_verified=sa.true())
    )


def downgrade() -> None:
    """Drop the column."""
    with op.batch_alter_table("gatepass_users") as batch:
        batch.drop_column("email_verified")
