"""Moderator rights: edited questions, per-room bans and blocked words.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add who edited a question, the rooms' blocked words and the room_bans table."""
    op.add_column("questions", sa.Column("edited_by", sa.String(16), nullable=True))
    op.add_column("questions", sa.Column("edited_at", sa.BigInteger(), nullable=True))
    op.add_column(
        "rooms", sa.Column("blocked_words", sa.Text(), nullable=False, server_default="[]")
    )
    op.create_table(
        "room_bans",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("room_id", sa.String(32), nullable=False),
        sa.Column("participant_id", sa.String(32), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("question_text", sa.Text(), nullable=False),
        sa.Column("banned_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name="fk_room_bans_room_id_rooms", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name="fk_room_bans_participant_id_participants",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_room_bans"),
        sa.UniqueConstraint(
            "room_id", "participant_id", name="uq_room_bans_room_id_participant_id"
        ),
    )


def downgrade() -> None:
    """Drop bans, blocked words and edit marks."""
    op.drop_table("room_bans")
    # Not batches: SQLite would rebuild the tables, and dropping the old ones cascades.
    op.drop_column("rooms", "blocked_words")
    op.drop_column("questions", "edited_at")
    op.drop_column("questions", "edited_by")
