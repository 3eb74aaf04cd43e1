"""`liveqa serve` as a child process of a test."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

LIVEQA = (sys.executable, "-m", "liveqa")


@asynccontextmanager
async def serving(
    port: int, data_dir: Path, *, liveqa: Sequence[str] = LIVEQA
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`liveqa serve` (run by `liveqa`), once it printed its URL; killed if still running after."""
    process = await asyncio.create_subprocess_exec(
        *liveqa,
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    try:
        output = b""
        async with asyncio.timeout(30):
            while f"open http://127.0.0.1:{port}/".encode() not in output:
                line = await process.stdout.readline()
                assert line, f"liveqa serve exited early:\n{output.decode()}"
                output += line
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.communicate()
