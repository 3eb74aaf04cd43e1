"""Command-line options that also read `LIVEQA_<NAME>` environment variables."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from typing import Any


def env_name(flag: str) -> str:
    """`--publish-key` -> `LIVEQA_PUBLISH_KEY`."""
    return "LIVEQA_" + flag.lstrip("-").replace("-", "_").upper()


class _AppendOverDefault(argparse.Action):
    """`append`, except that values given on the command line replace the environment's."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        current = getattr(namespace, self.dest, None)
        items = [] if current is None or current is self.default else list(current)
        setattr(namespace, self.dest, [*items, values])


def add_option(parser: argparse.ArgumentParser, flag: str, **kwargs: Any) -> None:
    """Add `flag`, defaulting to its environment variable; `action="append"` splits on commas.

    A malformed environment value stops with argparse's usage error, naming the variable.
    """
    name = env_name(flag)
    value = os.environ.get(name)
    kwargs["help"] = f"{kwargs.pop('help', '')} [env {name}]".strip()
    action = kwargs.get("action")
    if action == "append":
        kwargs["action"] = _AppendOverDefault
    if value is not None:
        convert = kwargs.get("type", str)
        try:
            if action == "append":
                kwargs["default"] = [convert(v.strip()) for v in value.split(",") if v.strip()]
            elif action == "store_true":
                kwargs["default"] = value.strip().lower() in ("1", "true", "yes", "on")
            else:
                kwargs["default"] = convert(value)
        except (ValueError, argparse.ArgumentTypeError) as exc:
            parser.error(f"{name}={value!r}: {exc}")
        kwargs.pop("required", None)
    parser.add_argument(flag, **kwargs)


def whole_number(text: str) -> int:
    """An argparse type: an integer, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number, 0 or more, got {text!r}")
    return value


def seconds(text: str) -> float:
    """An argparse type: a number of seconds, more than 0."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected seconds, more than 0, got {text!r}")
    return value
