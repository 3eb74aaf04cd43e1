"""The `liveqa` command: one subcommand per process kind."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Protocol, cast

from liveqa.extras import MissingExtra


class Command(Protocol):
    """A subcommand module: `configure` fills its parser, `run` executes it."""

    def configure(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


# Subcommand name -> (module, one-line help); modules are imported only when needed.
COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("liveqa.serve", "run the whole board (edge, origin, SQLite) in one process"),
    "edge": ("liveqa.edge.command", "run the GRIP edge proxy"),
    "origin": ("liveqa.origin.command", "run the Q&A origin app"),
    "db": ("liveqa.store.command", "manage the database (upgrade)"),
    "bench": ("liveqa.bench.command", "benchmark a GRIP proxy (liveqa edge or Pushpin)"),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen subcommand."""
    parser = argparse.ArgumentParser(prog="liveqa", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chosen = (argv if argv is not None else sys.argv[1:])[:1]
    for name, (module_name, help_text) in COMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text)
        if chosen == [name]:
            module = cast(Command, importlib.import_module(module_name))
            module.configure(sub)
            sub.set_defaults(handler=module.run)
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except MissingExtra as exc:
        print(f"liveqa {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
