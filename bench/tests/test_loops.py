"""Tests for the choice of the client workers' event loop."""

from __future__ import annotations

import asyncio
import importlib.util

import pytest

from liveqa_bench import loops


async def loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__


def test_auto_prefers_uvloop_when_installed() -> None:
    has_uvloop = importlib.util.find_spec("uvloop") is not None
    assert loops.resolve("auto") == ("uvloop" if has_uvloop else "asyncio")
    assert loops.resolve("asyncio") == "asyncio"


def test_each_loop_runs_a_coroutine() -> None:
    assert loops.run(loop_module(), "asyncio").startswith("asyncio")
    if importlib.util.find_spec("uvloop") is not None:
        assert loops.run(loop_module(), "uvloop").startswith("uvloop")


def test_unknown_or_missing_loops_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="not one of"):
        loops.resolve("trio")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert loops.resolve("auto") == "asyncio"
    with pytest.raises(ValueError, match="not installed"):
        loops.resolve("uvloop")
