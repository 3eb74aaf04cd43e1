"""Client frame parsing and server frame encoding (RFC 6455)."""

from __future__ import annotations

import os
import struct
import time
import tracemalloc

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


def parse(parser: frames.FrameParser, data: bytes) -> list[tuple[int, bytes]]:
    """Every message `data` completes."""
    parser.receive(data)
    messages = []
    while (message := parser.next_message()) is not None:
        messages.append(message)
    return messages


def test_text_message() -> None:
    parser = frames.FrameParser(1 << 20)
    assert parse(parser, client_frame(frames.TEXT, b"hello")) == [(frames.TEXT, b"hello")]


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 100_000])
def test_length_encodings(size: int) -> None:
    payload = os.urandom(size)
    parser = frames.FrameParser(1 << 20)
    assert parse(parser, client_frame(frames.BINARY, payload)) == [(frames.BINARY, payload)]


@given(
    st.lists(st.binary(max_size=300), min_size=1, max_size=5),
    st.integers(min_value=1, max_value=50),
)
def test_any_split_gives_the_same_messages(payloads: list[bytes], step: int) -> None:
    wire = b"".join(client_frame(frames.BINARY, p) for p in payloads)
    parser = frames.FrameParser(1 << 20)
    received = []
    for start in range(0, len(wire), step):
        received += parse(parser, wire[start : start + step])
    assert received == [(frames.BINARY, p) for p in payloads]


def test_fragments_are_reassembled_around_a_ping() -> None:
    parser = frames.FrameParser(1 << 20)
    wire = (
        client_frame(frames.TEXT, b"hel", final=False)
        + client_frame(frames.PING, b"p")
        + client_frame(frames.CONTINUATION, b"lo")
    )
    assert parse(parser, wire) == [(frames.PING, b"p"), (frames.TEXT, b"hello")]


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
        parse(parser, wire)
    assert info.value.code == code


def test_oversize_is_refused_before_the_payload_arrives() -> None:
    parser = frames.FrameParser(1000)
    header = client_frame(frames.BINARY, b"x" * 5000)[:14]
    with pytest.raises(frames.ProtocolError) as info:
        parse(parser, header)
    assert info.value.code == 1009


def test_fragmented_message_over_the_limit() -> None:
    parser = frames.FrameParser(1000)
    parse(parser, client_frame(frames.BINARY, b"x" * 600, final=False))
    with pytest.raises(frames.ProtocolError) as info:
        parse(parser, client_frame(frames.CONTINUATION, b"x" * 600))
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


def test_messages_before_a_violation_come_out_first() -> None:
    parser = frames.FrameParser(1 << 20)
    parser.receive(client_frame(frames.TEXT, b"first") + client_frame(0x3, b"bad"))
    assert parser.next_message() == (frames.TEXT, b"first")
    with pytest.raises(frames.ProtocolError):
        parser.next_message()


def test_messages_come_out_one_at_a_time_and_the_rest_waits() -> None:
    parser = frames.FrameParser(1 << 20)
    parser.receive(b"".join(client_frame(frames.TEXT, str(n).encode()) for n in range(3)))
    assert parser.next_message() == (frames.TEXT, b"0")
    assert parser.frames == 1
    parser.receive(client_frame(frames.TEXT, b"3"))
    assert [parser.next_message() for _ in range(4)] == [
        (frames.TEXT, b"1"),
        (frames.TEXT, b"2"),
        (frames.TEXT, b"3"),
        None,
    ]
    assert parser.frames == 4


def fragmented(payloads: list[bytes]) -> bytes:
    """One text message in a frame per payload."""
    last = len(payloads) - 1
    return b"".join(
        client_frame(frames.CONTINUATION if n else frames.TEXT, p, final=n == last)
        for n, p in enumerate(payloads)
    )


def test_a_message_may_come_in_max_fragments_frames() -> None:
    parser = frames.FrameParser(1 << 20)
    payloads = [b"x"] * frames.MAX_FRAGMENTS
    assert parse(parser, fragmented(payloads)) == [(frames.TEXT, b"x" * frames.MAX_FRAGMENTS)]


@pytest.mark.parametrize("payload", [b"", b"x"])
def test_a_message_in_more_frames_is_refused_with_1008(payload: bytes) -> None:
    parser = frames.FrameParser(1 << 20)
    parse(parser, fragmented([payload] * (frames.MAX_FRAGMENTS + 1))[: -6 - len(payload)])
    with pytest.raises(frames.ProtocolError) as info:
        # The header alone is enough: the frame is refused before its payload arrives.
        parse(parser, client_frame(frames.CONTINUATION, payload, final=False)[:2])
    assert info.value.code == 1008
    assert str(frames.MAX_FRAGMENTS) in str(info.value)


def test_continuation_headers_count_toward_the_size_limit() -> None:
    assert parse(frames.FrameParser(1000), client_frame(frames.TEXT, b"a" * 1000))
    parser = frames.FrameParser(1000)
    # 900 bytes, then 90 more behind a 6-byte header: 996 of the 1000.
    parse(parser, fragmented([b"a" * 900, b"b" * 90, b""])[:-6])
    with pytest.raises(frames.ProtocolError) as info:
        parse(parser, client_frame(frames.CONTINUATION, b""))
    assert info.value.code == 1009


def test_stop_bounds_the_frames_parsed_even_inside_a_message() -> None:
    parser = frames.FrameParser(1 << 20)
    parser.receive(fragmented([b"a", b"b", b"c"]) + client_frame(frames.PING, b"p"))
    assert parser.next_message(stop=2) is None
    assert parser.frames == 2
    assert parser.next_message(stop=3) == (frames.TEXT, b"abc")
    assert parser.next_message(stop=3) is None
    assert parser.next_message() == (frames.PING, b"p")


def test_a_big_frame_in_tiny_reads_costs_linear_time() -> None:
    payload = os.urandom(1 << 20)
    wire = client_frame(frames.BINARY, payload)
    parser = frames.FrameParser(1 << 20)
    started = time.perf_counter()
    received = []
    for start in range(0, len(wire), 16):
        received += parse(parser, wire[start : start + 16])
    elapsed = time.perf_counter() - started
    # Copying what is buffered at each of the 65,536 reads would move 32 GiB.
    assert elapsed < 2.0
    assert received == [(frames.BINARY, payload)]


def test_nothing_read_is_kept_once_parsed() -> None:
    parser = frames.FrameParser(2 << 20)

    def send_a_megabyte() -> None:
        wire = client_frame(frames.BINARY, b"m" * (1 << 20))
        unfinished = bytes((wire[0] & 0x7F,)) + wire[1:]
        final = client_frame(frames.CONTINUATION, b"")
        assert parse(parser, unfinished + final) == [(frames.BINARY, b"m" * (1 << 20))]

    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        send_a_megabyte()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 64 << 10
