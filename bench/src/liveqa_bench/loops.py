"""The event loop client workers run on: uvloop (a bench dependency) unless told asyncio's."""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
AUTO = "auto"
UVLOOP = "uvloop"
ASYNCIO = "asyncio"
CHOICES = (AUTO, UVLOOP, ASYNCIO)


def resolve(name: str) -> str:
    """The loop `name` stands for (`auto`: uvloop if importable); ValueError if unavailable."""
    if name not in CHOICES:
        raise ValueError(f"event loop {name!r} is not one of {', '.join(CHOICES)}")
    has_uvloop = importlib.util.find_spec(UVLOOP) is not None
    if name == AUTO:
        return UVLOOP if has_uvloop else ASYNCIO
    if name == UVLOOP and not has_uvloop:
        raise ValueError("uvloop is not installed (pip install uvloop)")
    return name


def loop_factory(name: str) -> Callable[[], asyncio.AbstractEventLoop]:
    """A function making a new loop of kind `name`."""
    if resolve(name) == UVLOOP:
        import uvloop

        return uvloop.new_event_loop
    return asyncio.new_event_loop


def run(main: Coroutine[Any, Any, T], name: str = AUTO) -> T:
    """`asyncio.run` on a loop of kind `name`."""
    with asyncio.Runner(loop_factory=loop_factory(name)) as runner:
        return runner.run(main)
