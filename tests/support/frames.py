"""Reading a server's WebSocket frames off a raw socket, one at a time."""

from __future__ import annotations

import asyncio
import struct


async def read_frame(reader: asyncio.StreamReader, wait: float | None = 5.0) -> tuple[int, bytes]:
    """One unmasked server frame, (opcode, payload), within `wait` s (None: however long).

    Raises IncompleteReadError once the server has closed the connection.
    """
    async with asyncio.timeout(wait):
        first, second = await reader.readexactly(2)
        size = second & 0x7F
        if size == 126:
            (size,) = struct.unpack("!H", await reader.readexactly(2))
        elif size == 127:
            (size,) = struct.unpack("!Q", await reader.readexactly(8))
        return first & 0x0F, await reader.readexactly(size)
