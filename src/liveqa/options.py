"""Command-line options: each is declared once, with its type, default, help and `LIVEQA_<NAME>`
environment variable, and every value is checked before anything starts."""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import sys
import urllib.parse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

LOG_LEVELS = ("debug", "info", "warning", "error")
LOG_FORMATS = ("text", "json")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


class Parser(argparse.ArgumentParser):
    """argparse, except that bad input is one line on stderr, `PROG: error: WHAT`, and exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def fail(prog: str, problem: object) -> int:
    """Say what is wrong in one line on stderr; return 2, the status of a bad configuration."""
    print(f"{prog}: error: {problem}", file=sys.stderr)
    return 2


def env_name(flag: str) -> str:
    """`--publish-key` -> `LIVEQA_PUBLISH_KEY`."""
    return "LIVEQA_" + flag.lstrip("-").replace("-", "_").upper()


def default_of(config: type[Any], name: str) -> Any:
    """The default a config dataclass gives its field `name`: the one place it is written."""
    for spec in dataclasses.fields(config):
        if spec.name == name:
            if spec.default_factory is not dataclasses.MISSING:
                return spec.default_factory()
            if spec.default is dataclasses.MISSING:
                raise LookupError(f"{config.__name__}.{name} has no default")
            return spec.default
    raise LookupError(f"{config.__name__} has no field {name}")


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


def _shown(value: Any) -> str:
    """A default as the command line would spell it."""
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], int):
        host = f"[{value[0]}]" if ":" in value[0] else value[0]
        return f"{host}:{value[1]}"
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value) or "none"
    return str(value)


def add_option(parser: argparse.ArgumentParser, flag: str, **kwargs: Any) -> None:
    """Add `flag`, defaulting to its environment variable; `action="append"` splits on commas.

    Its help ends with the default and the variable. A malformed environment value is a usage
    error naming the variable.
    """
    name = env_name(flag)
    value = os.environ.get(name)
    action = kwargs.get("action")
    help_text = kwargs.pop("help", "")
    default = kwargs.get("default")
    shown = action != "store_true" and default not in (None, [], ())
    where = f"default {_shown(default)}; env {name}" if shown else f"env {name}"
    kwargs["help"] = f"{help_text} [{where}]".strip()
    if action == "append":
        kwargs["action"] = _AppendOverDefault
    if value is not None:
        convert = boolean if action == "store_true" else kwargs.get("type", str)
        try:
            if action == "append":
                kwargs["default"] = [convert(v.strip()) for v in value.split(",") if v.strip()]
            else:
                kwargs["default"] = convert(value)
        except (ValueError, argparse.ArgumentTypeError) as exc:
            parser.error(f"{name}={value!r}: {exc}")
        kwargs.pop("required", None)
    parser.add_argument(flag, **kwargs)


def boolean(text: str) -> bool:
    """An environment switch: 1/true/yes/on or 0/false/no/off (or empty)."""
    word = text.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise argparse.ArgumentTypeError(f"expected true or false (1/0, yes/no, on/off), got {text!r}")


def whole_number(text: str) -> int:
    """An argparse type: an integer, 0 or more."""
    return at_least(0)(text)


def positive(text: str) -> int:
    """An argparse type: an integer, 1 or more."""
    return at_least(1)(text)


def at_least(low: int) -> Callable[[str], int]:
    """An argparse type: an integer, `low` or more."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if value < low:
            raise argparse.ArgumentTypeError(
                f"expected a whole number, {low} or more, got {text!r}"
            )
        return value

    return parse


def seconds(text: str) -> float:
    """An argparse type: a number of seconds, more than 0."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected seconds, more than 0, got {text!r}")
    return value


def tcp_port(text: str) -> int:
    """An argparse type: a TCP port, 0 (any free one) to 65535."""
    value = text.strip()
    if not value.isdigit() or int(value) > 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535, got {text!r}")
    return int(value)


def host_port(text: str) -> tuple[str, int]:
    """An argparse type: `HOST:PORT` (`[::1]:80` for IPv6; `:80` is every IPv4 interface)."""
    host, sep, number = text.rpartition(":")
    try:
        if not sep:
            raise argparse.ArgumentTypeError("no port")
        value = tcp_port(number)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected HOST:PORT with a port from 0 to 65535, got {text!r}"
        ) from None
    return host.strip("[]") or "0.0.0.0", value


def directory(text: str) -> Path:
    """An argparse type: a directory that exists."""
    path = Path(text).expanduser()
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"expected an existing directory, got {text!r}")
    return path


def log_level(text: str) -> str:
    """An argparse type: one of `LOG_LEVELS`, in any case."""
    word = text.strip().lower()
    if word not in LOG_LEVELS:
        raise argparse.ArgumentTypeError(f"expected {', '.join(LOG_LEVELS)}, got {text!r}")
    return word


def log_format(text: str) -> str:
    """An argparse type: one of `LOG_FORMATS`."""
    word = text.strip().lower()
    if word not in LOG_FORMATS:
        raise argparse.ArgumentTypeError(f"expected {' or '.join(LOG_FORMATS)}, got {text!r}")
    return word


def add_logging(parser: argparse.ArgumentParser, level: str = "info") -> None:
    """`--log-level`, `--log-format` and `--access-log`, the same for every server command."""
    add_option(
        parser,
        "--log-level",
        type=log_level,
        default=level,
        metavar="LEVEL",
        help=" / ".join(LOG_LEVELS),
    )
    add_option(
        parser,
        "--log-format",
        type=log_format,
        default="text",
        metavar="FORMAT",
        help="text: one line per record for people; json: one JSON object per line, with "
        "connection_id on lines about a connection",
    )
    add_option(
        parser,
        "--access-log",
        action="store_true",
        help="log every HTTP request (logger liveqa.access)",
    )


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


def add_timeouts(parser: argparse.ArgumentParser, idle: float, body: float, idle_help: str) -> None:
    """`--idle-timeout` and `--body-timeout`, which the edge and the origin both take."""
    add_option(
        parser,
        "--idle-timeout",
        type=seconds,
        default=idle,
        metavar="SECONDS",
        help=idle_help,
    )
    add_option(
        parser,
        "--body-timeout",
        type=seconds,
        default=body,
        metavar="SECONDS",
        help="time a request has to send its whole body (408 past it)",
    )


# A host name or IPv4 address, or a bracketed IPv6 address, as a URL's host part.
_URL_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\]")


def public_url(text: str) -> str:
    """An argparse type: the `http(s)://host[:port]` people reach the app at, without a slash."""
    try:
        parts = urllib.parse.urlsplit(text.strip())
        url_port = parts.port
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a URL: {exc}") from None
    host = parts.netloc if url_port is None else parts.netloc.rsplit(":", 1)[0]
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
