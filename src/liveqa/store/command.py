"""`liveqa db`: manage the database schema."""

from __future__ import annotations

import argparse
import asyncio

from liveqa.options import add_option, fail
from liveqa.store.database import Database
from liveqa.store.engine import database_url
from liveqa.store.migrate import current_revision, head_revision

DEFAULT_DATABASE_URL = "sqlite:///liveqa.db"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the `upgrade` and `current` actions and the database option."""
    parser.add_argument(
        "action",
        choices=("upgrade", "current"),
        help="upgrade: apply pending migrations; current: print the schema revision",
    )
    add_database_url(parser)


def add_database_url(parser: argparse.ArgumentParser) -> None:
    """`--database-url`, shared by `liveqa db` and `liveqa origin`."""
    add_option(
        parser,
        "--database-url",
        type=checked_url,
        default=DEFAULT_DATABASE_URL,
        help="sqlite:///path/to/file.db or postgresql://user@host/dbname",
    )


def checked_url(text: str) -> str:
    """An argparse type: a database URL the store can use, as given."""
    try:
        database_url(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


async def _run(action: str, url: str) -> str:
    database = Database.connect(url)
    try:
        if action == "upgrade":
            await database.upgrade()
        revision = await current_revision(database.engine)
    finally:
        await database.close()
    return f"{revision or 'empty'} (head {head_revision()})"


def run(args: argparse.Namespace) -> int:
    """Run the chosen action and print the resulting revision."""
    try:
        print(asyncio.run(_run(args.action, args.database_url)))
    except ValueError as exc:
        return fail("liveqa db", exc)
    return 0
