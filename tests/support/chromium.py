"""Debian's Chromium as the browser tests launch it: path, flags and viewports.

The bench owns them (`liveqa bench ui` must launch the browser the same way); the tests reach
them only here.
"""

from __future__ import annotations

from liveqa_bench.chromium import CHROMIUM, CHROMIUM_ARGS, VIEWPORTS

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "VIEWPORTS"]
