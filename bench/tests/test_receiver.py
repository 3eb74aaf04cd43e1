"""Tests for the epoll receive loop, against a raw WebSocket server in a thread."""

from __future__ import annotations

import multiprocessing
import socket
import struct
import threading
import time
from collections.abc import Iterator
from multiprocessing.connection import Connection
from typing import Any

import pytest

from liveqa_bench import receiver
from liveqa_bench.client_frames import OP_PING, OP_PONG, OP_TEXT
from liveqa_bench.client_handshake import accept_value
from liveqa_bench.header import MEASURED, encode_message
from liveqa_bench.worker import Worker


def server_frame(opcode: int, payload: bytes) -> bytes:
    if len(payload) < 126:
        return struct.pack("!BB", 0x80 | opcode, len(payload)) + payload
    return struct.pack("!BBH", 0x80 | opcode, 126, len(payload)) + payload


def measured(seq: int, size: int = 200) -> bytes:
    return server_frame(OP_TEXT, encode_message(MEASURED, 0, seq, time.monotonic_ns(), size))


class RawServer:
    """Accepts `count` WebSocket handshakes on a thread and keeps the server-side sockets."""

    def __init__(self, count: int) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, args=(count,))
        self.thread.start()

    def _accept(self, count: int) -> None:
        for _ in range(count):
            conn, _ = self.listener.accept()
            head = b""
            while b"\r\n\r\n" not in head:
                head += conn.recv(4096)
            key = next(
                line.split(b":", 1)[1].strip()
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"sec-websocket-key:")
            )
            conn.sendall(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept_value(key) + b"\r\n\r\n"
            )
            self.sockets.append(conn)

    def accepted(self) -> list[socket.socket]:
        """The server-side sockets once every handshake is answered."""
        self.thread.join(5)
        return self.sockets

    def close(self) -> None:
        self.thread.join(5)
        for conn in self.sockets:
            conn.close()
        self.listener.close()


@pytest.fixture
def pipes() -> Iterator[tuple[Connection, Connection]]:
    ours, theirs = multiprocessing.Pipe()
    yield ours, theirs
    ours.close()
    theirs.close()


def coordinate(
    pipe: Connection, messages: int, last: tuple[str, dict[str, Any]]
) -> threading.Thread:
    """Poll progress until every open client is complete, then send `last`."""

    def run() -> None:
        for _ in range(500):
            pipe.send(("progress", {"messages": messages}))
            _, progress = pipe.recv()
            if progress["complete"] >= progress["live"]:
                break
            time.sleep(0.01)
        pipe.send(last)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


async def test_counts_every_frame_however_it_arrives(pipes: tuple[Connection, Connection]) -> None:
    ours, theirs = pipes
    server = RawServer(3)
    worker = Worker(theirs)
    try:
        opened = await worker.connect("127.0.0.1", server.port, "/", 3, 3, within=5)
        assert opened["connected"] == 3
        await worker.expect(messages=3)
        whole, split, pinged = server.accepted()
        whole.sendall(measured(0) + measured(1) + measured(2, size=300))
        split.sendall(measured(0) + measured(1)[:50])
        pinged.sendall(server_frame(OP_PING, b"hi") + measured(0) + measured(1))
        # The rest of a split frame, a duplicate and a short ping arrive while the loop runs.
        threading.Timer(0.05, split.sendall, [measured(1)[50:] + measured(2) + measured(2)]).start()
        threading.Timer(0.05, pinged.sendall, [measured(2)]).start()
        thread = coordinate(ours, 3, ("collect", {"messages": 3}))
        call = receiver.receive(worker.clients, theirs, worker._progress)
        thread.join()
        assert call == ("collect", {"messages": 3})
        totals = await worker.collect(messages=3)
        assert (totals["received"], totals["lost"], totals["duplicated"]) == (9, 0, 1)
        assert (totals["malformed"], totals["dropped"]) == (0, 0)
        assert len(totals["latencies"]) == 9 * 8
        pinged.settimeout(5)
        assert pinged.recv(4096)[0] == 0x80 | OP_PONG
    finally:
        await worker.close(within=0.2)
        server.close()


async def test_a_closed_connection_is_dropped_and_no_longer_awaited(
    pipes: tuple[Connection, Connection],
) -> None:
    ours, theirs = pipes
    server = RawServer(2)
    worker = Worker(theirs)
    try:
        await worker.connect("127.0.0.1", server.port, "/", 2, 2, within=5)
        await worker.expect(messages=1)
        kept, closed = server.accepted()
        kept.sendall(measured(0))
        closed.close()
        thread = coordinate(ours, 1, ("collect", {"messages": 1}))
        assert receiver.receive(worker.clients, theirs, worker._progress) is not None
        thread.join()
        progress = worker._progress(1)
        assert (progress["live"], progress["complete"]) == (1, 1)
        totals = await worker.collect(messages=1)
        assert (totals["received"], totals["lost"], totals["dropped"]) == (1, 1, 1)
        assert totals["drop_reasons"] == {"lost": 1}
    finally:
        await worker.close(within=0.2)
        server.close()


def test_returns_none_when_the_coordinator_goes_away(pipes: tuple[Connection, Connection]) -> None:
    ours, theirs = pipes
    ours.close()
    assert receiver.receive([], theirs, lambda **_: {}) is None
