"""Browser fixtures: a real `liveqa serve` per module, driven through Debian's Chromium."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from support.chromium import CHROMIUM, CHROMIUM_ARGS, VIEWPORTS
from support.ports import free_port

from .people import Person

START_TIMEOUT = 30.0
PHONE = VIEWPORTS["phone"]
DESKTOP = VIEWPORTS["desktop"]


class Server:
    """`liveqa serve` as a subprocess on a free port and its own data directory."""

    def __init__(self, directory: Path, extra: tuple[str, ...] = ()) -> None:
        self.directory = directory
        self.extra = extra
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def log_path(self) -> Path:
        return self.directory / f"serve-{self.starts}.log"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def start(self) -> None:
        """Start and wait until it printed the address it serves."""
        self.starts += 1
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "liveqa",
                    "serve",
                    "--port",
                    str(self.port),
                    "--data-dir",
                    str(self.directory / "data"),
                    *self.extra,
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        ready = f"open {self.url}/"
        deadline = time.monotonic() + START_TIMEOUT
        while ready not in self.log():
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"liveqa serve exited ({self.process.returncode}):\n{self.log()}"
                )
            if time.monotonic() > deadline:
                raise TimeoutError(f"liveqa serve did not start:\n{self.log()}")
            time.sleep(0.05)

    def stop(self) -> None:
        """SIGTERM, as Ctrl-C or a service manager would; killed if it hangs."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise RuntimeError(f"liveqa serve ignored SIGTERM:\n{self.log()}") from None
        assert process.returncode == 0, self.log()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One running `liveqa serve` for the module's tests (each test uses its own rooms)."""
    running = Server(tmp_path_factory.mktemp("serve"))
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    # Module scope: the sync API's loop must be gone before other modules' asyncio tests run.
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium (never a downloaded build)."""
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )
    try:
        yield chromium
    finally:
        chromium.close()


People = Callable[..., Person]


@pytest.fixture
def people(browser: Browser, server: Server) -> Iterator[People]:
    """Make people, each with their own browser context (cookies, storage): `people("Ana")`."""
    made: list[Person] = []

    def person(name: str, **context: Any) -> Person:
        context.setdefault("viewport", PHONE)
        page = browser.new_context(**context).new_page()
        made.append(Person(page, server.url, name))
        return made[-1]

    try:
        yield person
    finally:
        errors = [f"{p.name}: {e}" for p in made for e in p.page_errors]
        for p in made:
            p.page.context.close()
        assert not errors, errors


@pytest.fixture
def room_id() -> str:
    """A room id nobody used yet."""
    return f"r{secrets.token_hex(5)}"


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`LIVEQA_SCREENSHOTS` (e.g. docs/screenshots) or a temporary directory."""
    wanted = os.environ.get("LIVEQA_SCREENSHOTS")
    if wanted:
        path = Path(wanted)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("screenshots")
