"""Tests for the benchmark clients' WebSocket framing."""

from __future__ import annotations

import itertools
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liveqa_bench.client_frames import (
    OP_BINARY,
    OP_CLOSE,
    OP_CONTINUATION,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    FrameError,
    FrameParser,
    close_frame,
    encode_frame,
    mask_bytes,
    scan_text_frames,
)


def server_frame(opcode: int, payload: bytes, final: bool = True, rsv: int = 0) -> bytes:
    """An unmasked frame as a server writes it."""
    first = (0x80 if final else 0) | rsv | opcode
    size = len(payload)
    if size < 126:
        return struct.pack("!BB", first, size) + payload
    if size < 1 << 16:
        return struct.pack("!BBH", first, 126, size) + payload
    return struct.pack("!BBQ", first, 127, size) + payload


def unmask_client_frame(frame: bytes) -> tuple[int, int, bytes]:
    """(first byte, opcode, payload) of a masked client frame, decoded the slow, obvious way."""
    assert frame[1] & 0x80, "client frames must be masked"
    size = frame[1] & 0x7F
    offset = 2
    if size == 126:
        size = struct.unpack_from("!H", frame, 2)[0]
        offset = 4
    elif size == 127:
        size = struct.unpack_from("!Q", frame, 2)[0]
        offset = 10
    key = frame[offset : offset + 4]
    body = frame[offset + 4 :]
    assert len(body) == size
    return frame[0], frame[0] & 0x0F, bytes(b ^ key[i % 4] for i, b in enumerate(body))


@given(payload=st.binary(max_size=70000), key=st.binary(min_size=4, max_size=4))
def test_encode_frame_masks_and_sizes(payload: bytes, key: bytes) -> None:
    first, opcode, body = unmask_client_frame(encode_frame(OP_TEXT, payload, key))
    assert first & 0x80
    assert opcode == OP_TEXT
    assert body == payload


def test_mask_is_its_own_inverse() -> None:
    key = b"\x01\x02\xfe\xff"
    payload = bytes(range(256)) * 3
    assert mask_bytes(payload, key) != payload
    assert mask_bytes(mask_bytes(payload, key), key) == payload
    assert mask_bytes(b"", key) == b""


def test_encode_frame_needs_a_four_byte_key() -> None:
    with pytest.raises(ValueError, match="4 bytes"):
        encode_frame(OP_TEXT, b"x", b"abc")


def test_close_frame_carries_code_and_reason() -> None:
    _, opcode, body = unmask_client_frame(close_frame(1001, b"\x00\x00\x00\x00", b"bye"))
    assert opcode == OP_CLOSE
    assert body == b"\x03\xe9bye"


@given(
    messages=st.lists(st.binary(max_size=70000), max_size=6),
    cuts=st.lists(st.integers(0, 200000), max_size=8),
)
def test_parser_reassembles_any_split(messages: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(server_frame(OP_TEXT, m) for m in messages)
    points = sorted({min(c, len(stream)) for c in cuts} | {0, len(stream)})
    parser = FrameParser()
    received: list[bytes] = []
    for start, stop in itertools.pairwise(points):
        received.extend(parser.feed(stream[start:stop]))
    assert received == messages
    assert parser.controls == []


def test_parser_joins_fragments_and_collects_controls() -> None:
    parser = FrameParser()
    stream = (
        server_frame(OP_BINARY, b"ab", final=False)
        + server_frame(OP_PING, b"p")
        + server_frame(OP_CONTINUATION, b"cd", final=False)
        + server_frame(OP_CONTINUATION, b"ef")
        + server_frame(OP_TEXT, b"next")
        + server_frame(OP_CLOSE, b"\x03\xe8")
    )
    assert parser.feed(stream) == [b"abcdef", b"next"]
    assert parser.controls == [(OP_PING, b"p"), (OP_CLOSE, b"\x03\xe8")]


@pytest.mark.parametrize(
    ("stream", "message"),
    [
        (b"\x81\x81abcdx", "must not be masked"),
        (server_frame(OP_TEXT, b"x", rsv=0x40), "reserved bits"),
        (server_frame(0x3, b"x"), "unknown opcode"),
        (server_frame(OP_CONTINUATION, b"x"), "without a message"),
        (server_frame(OP_PONG, b"x", final=False), "control frames"),
        (server_frame(OP_PING, b"x" * 126), "control frames"),
        (server_frame(OP_TEXT, b"a", final=False) + server_frame(OP_TEXT, b"b"), "unfinished"),
        (b"\x81\x7f" + struct.pack("!Q", 1 << 40), "exceeds"),
    ],
)
def test_parser_rejects_protocol_errors(stream: bytes, message: str) -> None:
    with pytest.raises(FrameError, match=message):
        FrameParser().feed(stream)


def test_parser_limits_fragmented_messages() -> None:
    parser = FrameParser(max_message=10)
    parser.feed(server_frame(OP_TEXT, b"x" * 8, final=False))
    with pytest.raises(FrameError, match="exceeds 10"):
        parser.feed(server_frame(OP_CONTINUATION, b"x" * 8))


frames = st.one_of(
    st.builds(lambda p: server_frame(OP_TEXT, p), st.binary(max_size=300)),
    st.builds(lambda n: server_frame(OP_TEXT, b"t" * n), st.sampled_from([125, 126, 65535, 65536])),
    st.builds(lambda p: server_frame(OP_BINARY, p), st.binary(max_size=10)),
    st.builds(lambda p: server_frame(OP_PING, p), st.binary(max_size=10)),
    st.just(server_frame(OP_TEXT, b"x", final=False) + server_frame(OP_CONTINUATION, b"y")),
)


@given(parts=st.lists(frames, max_size=6), cut=st.integers(0, 1 << 17), keep=st.integers(0, 50))
def test_scan_then_parser_reads_what_the_parser_alone_reads(
    parts: list[bytes], cut: int, keep: int
) -> None:
    stream = b"".join(parts)[:cut]
    buffer = bytearray(stream) + bytearray(b"garbage")
    heads, used = scan_text_frames(buffer, len(stream), keep)
    rest = FrameParser()
    after = rest.feed(stream[used:])
    alone = FrameParser()
    assert heads + [m[:keep] for m in after] == [m[:keep] for m in alone.feed(stream)]
    assert rest.controls == alone.controls


def test_scan_stops_at_anything_but_a_whole_text_frame() -> None:
    text = server_frame(OP_TEXT, b"hello")
    for tail in (server_frame(OP_PING, b""), text[:3], b"\x81\xfe"):
        buffer = bytearray(text + tail)
        assert scan_text_frames(buffer, len(buffer), 2) == ([b"he"], len(text))
    medium = server_frame(OP_TEXT, b"m" * 300)
    buffer = bytearray(medium + text)
    assert scan_text_frames(buffer, len(buffer), 3) == ([b"mmm", b"hel"], len(buffer))


def test_parser_is_idle_between_whole_frames() -> None:
    parser = FrameParser()
    assert parser.idle
    parser.feed(server_frame(OP_TEXT, b"abc")[:2])
    assert not parser.idle
    parser.feed(b"abc" + server_frame(OP_BINARY, b"x", final=False))
    assert not parser.idle
    parser.feed(server_frame(OP_CONTINUATION, b"y"))
    assert parser.idle
