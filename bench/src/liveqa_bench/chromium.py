"""Debian's Chromium driven by Playwright for Python, and clear errors when either is missing."""

from __future__ import annotations

import importlib.util
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.async_api import ViewportSize

CHROMIUM = "/usr/bin/chromium"
# As the browser tests launch it: headless, software rendering, nothing fetched in the background.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORTS: dict[str, ViewportSize] = {
    "phone": {"width": 390, "height": 844},
    "desktop": {"width": 1280, "height": 800},
}


class Missing(RuntimeError):
    """Chromium or Playwright for Python is not installed."""


def check(chromium: str) -> None:
    """Raise Missing, saying what to install, unless Playwright and `chromium` are there."""
    if importlib.util.find_spec("playwright") is None:
        raise Missing(
            "Playwright for Python is not installed; it comes with the bench's ui extra "
            "(pip install -e './bench[ui]'). It drives the system's Chromium: "
            "no `playwright install`."
        )
    if not (os.path.isfile(chromium) and os.access(chromium, os.X_OK)):
        raise Missing(
            f"no Chromium at {chromium}: install Debian's (apt-get install chromium) "
            "or give its path with --chromium PATH"
        )
