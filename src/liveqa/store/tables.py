"""The schema as SQLAlchemy Core tables; times are integer milliseconds since the epoch (UTC)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# Stable constraint names keep migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROOM_STATES = ("open", "voting", "closed")

metadata = MetaData(naming_convention=NAMING_CONVENTION)

participants = Table(
    "participants",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("display_name", String(200), nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

rooms = Table(
    "rooms",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("display_name", String(200), nullable=False),
    Column("theme_color", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("moderation", Boolean, nullable=False),
    Column("allow_anonymous", Boolean, nullable=False),
    # No foreign key: a question row may go while the room row is locked by the same writer.
    Column("highlighted_question_id", String(32), nullable=True),
    Column("host_key", String(64), nullable=False),
    # Bumped by every rotation: co-hosts record the generation of the key they joined with.
    Column("host_key_generation", Integer, nullable=False, server_default="1"),
    Column("seq", BigInteger, nullable=False),
    # The blocked words and phrases, a JSON array of casefolded strings (hosts edit it).
    Column("blocked_words", Text, nullable=False, server_default="[]"),
    Column("created_by", String(32), ForeignKey("participants.id"), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    CheckConstraint("state IN ('open', 'voting', 'closed')", name="state"),
    CheckConstraint("seq >= 0", name="seq"),
)

room_hosts = Table(
    "room_hosts",
    metadata,
    Column("room_id", String(32), ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "participant_id",
        String(32),
        ForeignKey("participants.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("added_at", BigInteger, nullable=False),
    # The owner created the room; a co-host joined with a host key and can lose the rights.
    Column("role", String(16), nullable=False),
    # The generation of the host key a co-host joined with; None for the owner.
    Column("key_generation", Integer, nullable=True),
    CheckConstraint("role IN ('owner', 'cohost')", name="role"),
)

# Rooms a participant has opened a socket in: where a display-name change is published.
room_members = Table(
    "room_members",
    metadata,
    Column("room_id", String(32), ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "participant_id",
        String(32),
        ForeignKey("participants.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("joined_at", BigInteger, nullable=False),
    Index("ix_room_members_participant_id", "participant_id"),
)

questions = Table(
    "questions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("room_id", String(32), ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
    Column("author_id", String(32), ForeignKey("participants.id"), nullable=False),
    Column("nonce", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("anonymous", Boolean, nullable=False),
    Column("pending", Boolean, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("upvotes", Integer, nullable=False),
    Column("answer_text", Text, nullable=True),
    Column("answer_author_id", String(32), ForeignKey("participants.id"), nullable=True),
    Column("answered_at", BigInteger, nullable=True),
    # Who last changed the text: "author" or "host" (a host's edit stays marked); None: never.
    Column("edited_by", String(16), nullable=True),
    Column("edited_at", BigInteger, nullable=True),
    UniqueConstraint("author_id", "nonce"),
    CheckConstraint("upvotes >= 0", name="upvotes"),
    Index("ix_questions_room_id_created_at", "room_id", "created_at"),
)

votes = Table(
    "votes",
    metadata,
    Column(
        "question_id",
        String(32),
        ForeignKey("questions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "participant_id",
        String(32),
        ForeignKey("participants.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("created_at", BigInteger, nullable=False),
)

# Participants a host banned from a room: their questions are hidden, their posts and votes
# refused. `anonymous` and `question_text` say what the host banned them from, so the list can
# name the ban without unmasking the author of an anonymous question.
room_bans = Table(
    "room_bans",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("room_id", String(32), ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
    Column(
        "participant_id",
        String(32),
        ForeignKey("participants.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("anonymous", Boolean, nullable=False),
    Column("question_text", Text, nullable=False),
    Column("banned_at", BigInteger, nullable=False),
    UniqueConstraint("room_id", "participant_id"),
)

# Open sockets, as the proxy reports them: the live attendee count of a room. Rows of sockets
# the proxy never reported closed stop counting once `seen_at` is older than a few keep-alives.
connections = Table(
    "connections",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("room_id", String(32), ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
    Column(
        "participant_id",
        String(32),
        ForeignKey("participants.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("opened_at", BigInteger, nullable=False),
    Column("seen_at", BigInteger, nullable=False),
    Index("ix_connections_room_id_seen_at", "room_id", "seen_at"),
)

# The last event number of each deleted room: a room made again under the same id goes on
# from it, so a GRIP proxy never takes its events for repeats of the old room's (same ids).
deleted_rooms = Table(
    "deleted_rooms",
    metadata,
    Column("room_id", String(32), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("deleted_at", BigInteger, nullable=False),
)

# Instance-wide values shared by every origin process, such as the cookie signing key.
settings = Table(
    "settings",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
