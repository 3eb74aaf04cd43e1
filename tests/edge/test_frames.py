"""Client frame parsing and server frame encoding (RFC 6455)."""

from __future__ import annotations

import os
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liveqa.edge import frames


def client_frame(opcode: int, payload: bytes, *, final: bool = True, rsv: int = 0) -> bytes:
    """A masked frame as a browser sends it."""
    mask = os.urandom(4)
    first = (0x80 if final else 0) | rsv | opcode
    size = len(payload)
    if size < 126:
        head = bytes((first, 0x80 | size))
    elif size < 65536:
        head = struct.pack("!BBH", first, 0x80 | 126, size)
    else:
        head = struct.pack("!BBQ", first, 0x80 | 127, size)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + mask + masked


def test_text_message() -> None:
    parser = frames.FrameParser(1 << 20)
    assert parser.feed(client_frame(frames.TEXT, b"hello")) == [(frames.TEXT, b"hello")]


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 100_000])
def test_length_encodings(size: int) -> None:
    payload = os.urandom(size)
    parser = frames.FrameParser(1 << 20)
    assert parser.feed(client_frame(frames.BINARY, payload)) == [(frames.BINARY, payload)]


@given(
    st.lists(st.binary(max_size=300), min_size=1, max_size=5),
    st.integers(min_value=1, max_value=50),
)
def test_any_split_gives_the_same_messages(payloads: list[bytes], step: int) -> None:
    wire = b"".join(client_frame(frames.BINARY, p) for p in payloads)
    parser = frames.FrameParser(1 << 20)
    received = []
    for start in range(0, len(wire), step):
        received += parser.feed(wire[start : start + step])
    assert received == [(frames.BINARY, p) for p in payloads]


def test_fragments_are_reassembled_around_a_ping() -> None:
    parser = frames.FrameParser(1 << 20)
    wire = (
        client_frame(frames.TEXT, b"hel", final=False)
        + client_frame(frames.PING, b"p")
        + client_frame(frames.CONTINUATION, b"lo")
    )
    assert parser.feed(wire) == [(frames.PING, b"p"), (frames.TEXT, b"hello")]


@pytest.mark.parametrize(
    ("wire", "code"),
    [
        (bytes((0x81, 0x05)) + b"hello", 1002),  # unmasked
        (client_frame(frames.TEXT, b"x", rsv=0x40), 1002),
        (client_frame(0x3, b"x"), 1002),
        (client_frame(frames.CONTINUATION, b"x"), 1002),
        (client_frame(frames.PING, b"x" * 126), 1002),
        (client_frame(frames.PING, b"x", final=False), 1002),
        (client_frame(frames.TEXT, b"\xff\xfe"), 1007),
        (client_frame(frames.TEXT, b"a", final=False) + client_frame(frames.TEXT, b"b"), 1002),
        (client_frame(frames.BINARY, b"x" * 2000), 1009),
    ],
)
def test_violations_name_the_close_code(wire: bytes, code: int) -> None:
    parser = frames.FrameParser(1000)
    with pytest.raises(frames.ProtocolError) as info:
        parser.feed(wire)
    assert info.value.code == code


def test_oversize_is_refused_before_the_payload_arrives() -> None:
    parser = frames.FrameParser(1000)
    header = client_frame(frames.BINARY, b"x" * 5000)[:14]
    with pytest.raises(frames.ProtocolError) as info:
        parser.feed(header)
    assert info.value.code == 1009


def test_fragmented_message_over_the_limit() -> None:
    parser = frames.FrameParser(1000)
    parser.feed(client_frame(frames.BINARY, b"x" * 600, final=False))
    with pytest.raises(frames.ProtocolError) as info:
        parser.feed(client_frame(frames.CONTINUATION, b"x" * 600))
    assert info.value.code == 1009


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536])
def test_encode_frame_header(size: int) -> None:
    frame = frames.encode_frame(frames.TEXT, b"a" * size)
    assert frame[0] == 0x81
    assert frame[1] & 0x80 == 0
    assert frame.endswith(b"a" * size)
    assert len(frame) == size + (2 if size < 126 else 4 if size < 65536 else 10)


def test_close_round_trip() -> None:
    payload = frames.encode_close(4000, "bye")[2:]
    assert frames.parse_close(payload) == (4000, "bye")
    assert frames.parse_close(b"") == (None, "")


@pytest.mark.parametrize(("payload", "code"), [(b"\x03", 1002), (b"\x03\xed", 1002)])
def test_bad_close_frames(payload: bytes, code: int) -> None:
    with pytest.raises(frames.ProtocolError) as info:
        frames.parse_close(payload)
    assert info.value.code == code


def test_long_close_reason_is_cut_to_a_control_frame() -> None:
    frame = frames.encode_close(1000, "x" * 500)
    assert frame[1] == 125


def test_unmask_matches_bytewise_xor() -> None:
    mask, data = os.urandom(4), os.urandom(1001)
    assert frames.unmask(mask, data) == bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def test_messages_before_a_violation_are_kept() -> None:
    parser = frames.FrameParser(1 << 20)
    with pytest.raises(frames.ProtocolError) as info:
        parser.feed(client_frame(frames.TEXT, b"first") + client_frame(0x3, b"bad"))
    assert info.value.messages == [(frames.TEXT, b"first")]
