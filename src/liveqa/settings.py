"""Command-line options that also read `LIVEQA_<NAME>` environment variables."""

from __future__ import annotations

import argparse
import os
from typing import Any


def env_name(flag: str) -> str:
    """`--publish-key` -> `LIVEQA_PUBLISH_KEY`."""
    return "LIVEQA_" + flag.lstrip("-").replace("-", "_").upper()


def add_option(parser: argparse.ArgumentParser, flag: str, **kwargs: Any) -> None:
    """Add `flag`, defaulting to its environment variable; `action="append"` splits on commas."""
    value = os.environ.get(env_name(flag))
    help_text = kwargs.pop("help", "")
    kwargs["help"] = f"{help_text} [env {env_name(flag)}]".strip()
    if value is not None:
        if kwargs.get("action") == "append":
            kwargs["default"] = [v.strip() for v in value.split(",") if v.strip()]
        elif kwargs.get("action") == "store_true":
            kwargs["default"] = value.lower() in ("1", "true", "yes", "on")
        else:
            kwargs["default"] = kwargs.get("type", str)(value)
        kwargs.pop("required", None)
    parser.add_argument(flag, **kwargs)
