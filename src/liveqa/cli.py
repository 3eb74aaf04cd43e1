"""The `liveqa` command: one subcommand per process kind."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from importlib.metadata import EntryPoint, entry_points
from typing import Protocol, cast

from liveqa import __version__
from liveqa.extras import MissingExtra
from liveqa.options import Parser


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
}
# Commands other distributions add: entry points in this group, each naming a Command module.
PLUGIN_GROUP = "liveqa.commands"
# Commands of this repository that install apart from liveqa, and how to install them.
INSTALLED_APART: dict[str, str] = {
    "bench": "the liveqa-bench package (in a liveqa checkout: pip install -e ./bench)",
}


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen subcommand."""
    parser = Parser(prog="liveqa", description=__doc__)
    parser.add_argument("--version", action="version", version=f"liveqa {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chosen = (argv if argv is not None else sys.argv[1:])[:1]
    plugins = {e.name: e for e in entry_points(group=PLUGIN_GROUP) if e.name not in COMMANDS}
    if chosen and chosen[0] in INSTALLED_APART and chosen[0] not in plugins:
        print(
            f"liveqa {chosen[0]} is not installed: it comes with {INSTALLED_APART[chosen[0]]}",
            file=sys.stderr,
        )
        return 2
    for name, (module_name, help_text) in COMMANDS.items():
        sub = subparsers.add_parser(
            name, help=help_text, description=help_text[:1].upper() + help_text[1:] + "."
        )
        if chosen == [name]:
            module = cast(Command, importlib.import_module(module_name))
            module.configure(sub)
            sub.set_defaults(handler=module.run)
    for name, plugin in plugins.items():
        summary = _summary(plugin)
        sub = subparsers.add_parser(name, help=summary, description=summary)
        if chosen == [name]:
            module = cast(Command, plugin.load())
            module.configure(sub)
            sub.set_defaults(handler=module.run)
    try:
        # Options check their values while parsing, so a missing extra may show up here already.
        args = parser.parse_args(argv)
        return int(args.handler(args))
    except MissingExtra as exc:
        print(f"liveqa {chosen[0]}: {exc}", file=sys.stderr)
        return 2


def _summary(plugin: EntryPoint) -> str | None:
    """The one-line summary of the distribution that adds `plugin`, read without importing it."""
    return plugin.dist.metadata["Summary"] if plugin.dist is not None else None


if __name__ == "__main__":
    sys.exit(main())
