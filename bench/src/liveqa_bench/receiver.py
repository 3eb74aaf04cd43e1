"""The measured phase's receive loop: the clients' sockets read with one epoll, not the event loop.

At one message per read, the event loop's machinery around each read (a callback handle per
ready socket, the protocol's buffer calls, a copy of the bytes) cost more than the read. Here one
`epoll.poll` yields the ready sockets, each is read into one preallocated buffer and whole text
frames are counted from their header in place (`Client.receive_into`), with the same accounting.
The coordinator's progress polls are answered in the loop; any other call ends it.
"""

from __future__ import annotations

import contextlib
import os
import select
import time
from collections.abc import Callable, Iterable
from multiprocessing.connection import Connection
from typing import Any

from liveqa_bench.client import OPEN, Client

BUFFER_SIZE = 1 << 18
EPOLL = "epoll"
LOOP = "loop"
PROGRESS = "progress"
Call = tuple[str, dict[str, Any]]
Timer = Callable[[], float | None]


def receive(
    clients: Iterable[Client],
    pipe: Connection,
    progress: Callable[..., dict[str, Any]],
    timer: Timer | None = None,
) -> Call | None:
    """Read `clients` until the pipe brings a call other than progress (returned), or None when
    the coordinator went away. The caller's event loop must not run meanwhile.

    `timer`, if given, is called before each wait and says how long the wait may be (seconds,
    None for as long as it takes): the application benchmark sends its writes from it."""
    epoll = select.epoll()
    try:
        pipe_fd = pipe.fileno()
        epoll.register(pipe_fd, select.EPOLLIN)
        by_fd: dict[int, Client] = {}
        for client in clients:
            if client.state == OPEN and client.fileno >= 0:
                epoll.register(client.fileno, select.EPOLLIN)
                by_fd[client.fileno] = client
        return _loop(epoll, by_fd, pipe, pipe_fd, progress, timer)
    finally:
        epoll.close()


def _loop(
    epoll: select.epoll,
    by_fd: dict[int, Client],
    pipe: Connection,
    pipe_fd: int,
    progress: Callable[..., dict[str, Any]],
    timer: Timer | None,
) -> Call | None:
    buffer = bytearray(BUFFER_SIZE)
    buffers = [buffer]
    readv = os.readv
    clock = time.monotonic_ns
    while True:
        wait = timer() if timer is not None else None
        for fd, _ in epoll.poll(-1 if wait is None else wait):
            if fd == pipe_fd:
                try:
                    method, kwargs = pipe.recv()
                except (EOFError, OSError):
                    return None
                if method != PROGRESS:
                    return method, kwargs
                pipe.send(("ok", progress(**kwargs)))
                continue
            client = by_fd.get(fd)
            if client is None:
                continue
            try:
                size = readv(fd, buffers)
            except BlockingIOError:
                continue
            except OSError:
                size = 0
            if size:
                client.receive_into(buffer, size, clock())
                if client.state == OPEN:
                    continue
            # Out of the epoll before the client's transport may close the descriptor.
            with contextlib.suppress(OSError):
                epoll.unregister(fd)
            del by_fd[fd]
            if not size:
                client.lost()
