"""Host roles: the owner (the room's creator) and co-hosts, who record their key's generation.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

_IS_CREATOR = (
    "room_hosts.participant_id = "
    "(SELECT rooms.created_by FROM rooms WHERE rooms.id = room_hosts.room_id)"
)


def upgrade() -> None:
    """Number host keys from 1; the creator becomes owner, other hosts co-hosts of key 1."""
    op.add_column(
        "rooms",
        sa.Column("host_key_generation", sa.Integer(), nullable=False, server_default="1"),
    )
    with op.batch_alter_table("room_hosts") as batch:
        batch.add_column(sa.Column("role", sa.String(16), nullable=True))
        batch.add_column(sa.Column("key_generation", sa.Integer(), nullable=True))
    op.execute(
        f"UPDATE room_hosts SET role = CASE WHEN {_IS_CREATOR} THEN 'owner' ELSE 'cohost' END, "
        f"key_generation = CASE WHEN {_IS_CREATOR} THEN NULL ELSE 1 END"
    )
    with op.batch_alter_table("room_hosts") as batch:
        batch.alter_column("role", existing_type=sa.String(16), nullable=False)
        batch.create_check_constraint("ck_room_hosts_role", "role IN ('owner', 'cohost')")


def downgrade() -> None:
    """Forget roles and key generations (every host stays a host)."""
    with op.batch_alter_table("room_hosts") as batch:
        batch.drop_constraint("ck_room_hosts_role", type_="check")
        batch.drop_column("key_generation")
        batch.drop_column("role")
    # Not a batch: SQLite would rebuild `rooms`, and dropping the old table cascades.
    op.drop_column("rooms", "host_key_generation")
