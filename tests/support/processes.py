"""Child processes for tests: start one with a log file, wait until it answers, stop it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Callable, Sequence
from pathlib import Path


async def start_logged(
    command: Sequence[str],
    log_path: Path,
    *,
    env: dict[str, str] | None = None,
    new_session: bool = False,
) -> asyncio.subprocess.Process:
    """Start `command` with no input, its output and errors appended to `log_path`.

    `new_session` puts it in a process group of its own, which `stop(group=True)` can kill.
    """
    with log_path.open("ab") as log:
        return await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            env=env,
            start_new_session=new_session,
        )


def log_tail(log_path: Path, size: int = 3000) -> str:
    """The last `size` characters a process logged."""
    return log_path.read_text(errors="replace")[-size:]


async def wait_listening(
    port: int, deadline: float, *, alive: Callable[[], None] = lambda: None
) -> None:
    """Wait until 127.0.0.1:`port` accepts connections; `alive` is called before each try."""
    while time.monotonic() < deadline:
        alive()
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            await writer.wait_closed()
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


async def wait_answering(
    port: int,
    deadline: float,
    *,
    path: str = "/",
    alive: Callable[[], None] = lambda: None,
    not_yet: tuple[bytes, ...] = (),
) -> None:
    """Wait until a plain HTTP request to 127.0.0.1:`port` gets an answer whose status is not
    in `not_yet`.

    Pushpin's client port listens before its internal services are linked up: a request that
    arrives in that window is never answered (seen on about one start in five), or gets a 502
    while its origin is up (`not_yet=(b"502",)`). `alive` is called before each try and should
    raise if the process behind the port has exited.
    """
    while True:
        alive()
        try:
            async with asyncio.timeout(0.5):
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                try:
                    writer.write(f"GET {path} HTTP/1.1\r\nHost: ready\r\n\r\n".encode())
                    status = await reader.readline()
                    if status.startswith(b"HTTP/1.1 ") and status[9:12] not in not_yet:
                        return
                finally:
                    writer.close()
                    with contextlib.suppress(OSError):
                        await writer.wait_closed()
        except (OSError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing answers on 127.0.0.1:{port}")
        await asyncio.sleep(0.05)


async def stop(
    process: asyncio.subprocess.Process,
    grace: float = 10.0,
    *,
    signum: int = signal.SIGTERM,
    group: bool = False,
) -> int:
    """Send `signum` and wait; SIGKILL it (its whole process group with `group`) if it lingers.

    Returns the exit status.
    """
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signum)
        try:
            await asyncio.wait_for(process.wait(), grace)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                if group:
                    os.killpg(process.pid, signal.SIGKILL)
                else:
                    process.kill()
            await process.wait()
    return process.returncode if process.returncode is not None else 0
