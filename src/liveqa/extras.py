"""Optional dependencies: the pip extras that PostgreSQL and Redis need.

`pip install liveqa` brings what `liveqa serve` on SQLite needs; asyncpg and redis come with the
`postgres` and `redis` extras. An option that needs one that is not installed is refused with
`MissingExtra`, which the command line turns into one line naming the extra.
"""

from __future__ import annotations

import importlib


class MissingExtra(Exception):
    """An option needs an optional dependency that is not installed."""

    def __init__(self, what: str, extra: str) -> None:
        super().__init__(f"{what} needs the {extra} extra: pip install 'liveqa[{extra}]'")
        self.extra = extra


def require(module: str, extra: str, what: str) -> None:
    """Import `module` or raise `MissingExtra` saying that `what` needs `extra`."""
    try:
        importlib.import_module(module)
    except ModuleNotFoundError as exc:
        # Only the module itself missing means the extra is; a broken install says so itself.
        if exc.name != module:
            raise
        raise MissingExtra(what, extra) from None


def require_postgres() -> None:
    """asyncpg, which PostgreSQL URLs need."""
    require("asyncpg", "postgres", "PostgreSQL")


def require_redis(option: str) -> None:
    """redis-py, which `option` (a Redis URL) needs."""
    require("redis", "redis", f"Redis ({option})")
