"""Open sockets per room, for the live attendee count.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the connections table."""
    op.create_table(
        "connections",
        sa.Column("id", sa.String(128), nullable=False),
        sa.Column("room_id", sa.String(32), nullable=False),
        sa.Column("participant_id", sa.String(32), nullable=False),
        sa.Column("opened_at", sa.BigInteger(), nullable=False),
        sa.Column("seen_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name="fk_connections_room_id_rooms", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name="fk_connections_participant_id_participants",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_connections"),
    )
    op.create_index("ix_connections_room_id_seen_at", "connections", ["room_id", "seen_at"])


def downgrade() -> None:
    """Drop the connections table."""
    op.drop_table("connections")
