"""Alembic environment and revisions of the liveqa schema."""
