"""Initial schema: participants, rooms, hosts, members, questions, votes, settings.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create every table."""
    op.create_table(
        "participants",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_participants"),
    )
    op.create_table(
        "rooms",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("theme_color", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("moderation", sa.Boolean(), nullable=False),
        sa.Column("allow_anonymous", sa.Boolean(), nullable=False),
        sa.Column("highlighted_question_id", sa.String(32), nullable=True),
        sa.Column("host_key", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(32), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("state IN ('open', 'voting', 'closed')", name="ck_rooms_state"),
        sa.CheckConstraint("seq >= 0", name="ck_rooms_seq"),
        sa.ForeignKeyConstraint(
            ["created_by"], ["participants.id"], name="fk_rooms_created_by_participants"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_rooms"),
    )
    for name, time_column in (("room_hosts", "added_at"), ("room_members", "joined_at")):
        op.create_table(
            name,
            sa.Column("room_id", sa.String(32), nullable=False),
            sa.Column("participant_id", sa.String(32), nullable=False),
            sa.Column(time_column, sa.BigInteger(), nullable=False),
            sa.ForeignKeyConstraint(
                ["room_id"], ["rooms.id"], name=f"fk_{name}_room_id_rooms", ondelete="CASCADE"
            ),
            sa.ForeignKeyConstraint(
                ["participant_id"],
                ["participants.id"],
                name=f"fk_{name}_participant_id_participants",
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("room_id", "participant_id", name=f"pk_{name}"),
        )
    op.create_index("ix_room_members_participant_id", "room_members", ["participant_id"])
    op.create_table(
        "questions",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("room_id", sa.String(32), nullable=False),
        sa.Column("author_id", sa.String(32), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("pending", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("upvotes", sa.Integer(), nullable=False),
        sa.Column("answer_text", sa.Text(), nullable=True),
        sa.Column("answer_author_id", sa.String(32), nullable=True),
        sa.Column("answered_at", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("upvotes >= 0", name="ck_questions_upvotes"),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name="fk_questions_room_id_rooms", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["participants.id"], name="fk_questions_author_id_participants"
        ),
        sa.ForeignKeyConstraint(
            ["answer_author_id"],
            ["participants.id"],
            name="fk_questions_answer_author_id_participants",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_questions"),
        sa.UniqueConstraint("author_id", "nonce", name="uq_questions_author_id_nonce"),
    )
    op.create_index("ix_questions_room_id_created_at", "questions", ["room_id", "created_at"])
    op.create_table(
        "votes",
        sa.Column("question_id", sa.String(32), nullable=False),
        sa.Column("participant_id", sa.String(32), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name="fk_votes_question_id_questions",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name="fk_votes_participant_id_participants",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("question_id", "participant_id", name="pk_votes"),
    )
    op.create_table(
        "settings",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_settings"),
    )


def downgrade() -> None:
    """Drop every table."""
    for name in (
        "settings",
        "votes",
        "questions",
        "room_members",
        "room_hosts",
        "rooms",
        "participants",
    ):
        op.drop_table(name)
