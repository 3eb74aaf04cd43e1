"""The last event number of deleted rooms, so a room made again under the same id goes on from it.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the deleted_rooms table."""
    op.create_table(
        "deleted_rooms",
        sa.Column("room_id", sa.String(32), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("deleted_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("room_id", name="pk_deleted_rooms"),
    )


def downgrade() -> None:
    """Drop the deleted_rooms table."""
    op.drop_table("deleted_rooms")
