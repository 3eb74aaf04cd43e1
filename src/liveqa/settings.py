"""Command-line options that also read `LIVEQA_<NAME>` environment variables."""

from __future__ import annotations

import argparse
import os
import re
import urllib.parse
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


def add_public_url(parser: argparse.ArgumentParser) -> None:
    """`--public-url`, shared by `liveqa serve` and `liveqa origin`."""
    add_option(
        parser,
        "--public-url",
        type=public_url,
        default=None,
        help="the address people open, like https://qa.example.org: the base of every link "
        "the app shows or encodes (QR code, join, host and projector links, export); "
        "default: the address each request came to",
    )


# A host name or IPv4 address, or a bracketed IPv6 address, as a URL's host part.
_URL_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\]")


def public_url(text: str) -> str:
    """An argparse type: the `http(s)://host[:port]` people reach the app at, without a slash."""
    try:
        parts = urllib.parse.urlsplit(text.strip())
        port = parts.port
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a URL: {exc}") from None
    host = parts.netloc if port is None else parts.netloc.rsplit(":", 1)[0]
    if parts.scheme not in ("http", "https") or not _URL_HOST.fullmatch(host):
        raise argparse.ArgumentTypeError(
            f"expected http:// or https:// and a host name, like https://qa.example.org, "
            f"got {text!r}"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise argparse.ArgumentTypeError(
            f"expected only a scheme, host and port (liveqa is served at the root), got {text!r}"
        )
    return f"{parts.scheme}://{parts.netloc.lower()}"
