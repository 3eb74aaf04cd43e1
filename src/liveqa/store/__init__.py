"""The only state of liveqa: SQLAlchemy Core tables, one query set, packaged Alembic migrations."""

from liveqa.store.database import Database
from liveqa.store.engine import create_engine, database_url
from liveqa.store.queries import Queries
from liveqa.store.records import (
    Ban,
    Host,
    HostedRoom,
    Participant,
    PostContext,
    Question,
    Room,
    VoteTarget,
)

__all__ = [
    "Ban",
    "Database",
    "Host",
    "HostedRoom",
    "Participant",
    "PostContext",
    "Queries",
    "Question",
    "Room",
    "VoteTarget",
    "create_engine",
    "database_url",
]
