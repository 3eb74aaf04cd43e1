"""Tests for finding the browser the UI benchmark drives."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from liveqa_bench.chromium import Missing, check


def test_a_missing_chromium_says_where_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(Missing, match=r"no Chromium at .*nothing.*apt-get install chromium"):
        check(str(tmp_path / "nothing"))
    not_executable = tmp_path / "chromium"
    not_executable.write_text("")
    with pytest.raises(Missing, match="--chromium PATH"):
        check(str(not_executable))


def test_a_missing_playwright_names_the_ui_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(Missing, match=r"Playwright for Python is not installed.*bench\[ui\]"):
        check("/bin/sh")


def test_an_executable_passes() -> None:
    check("/bin/sh")
