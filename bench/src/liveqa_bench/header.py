"""Benchmark message payloads: a fixed-width ASCII header followed by padding.

The 38-byte header is kind (`M` measured, `P` priming), sender (7 digits), sequence number
(10 digits) and send time (20 digits of `time.monotonic_ns()`, one clock for every process on
Linux), so a receiver computes latency and spots loss or duplication without parsing JSON.
"""

from __future__ import annotations

from typing import NamedTuple

HEADER_SIZE = 38
MEASURED = b"M"
PRIMING = b"P"
KINDS = (MEASURED, PRIMING)

MAX_SENDER = 9_999_999
MAX_SEQ = 9_999_999_999
_PADDING = b"." * 65536


class Header(NamedTuple):
    """The decoded header of one payload."""

    kind: bytes
    sender: int
    seq: int
    sent_ns: int


class HeaderError(ValueError):
    """A payload that does not start with a benchmark header."""


def encode_message(kind: bytes, sender: int, seq: int, sent_ns: int, size: int) -> bytes:
    """A `size`-byte payload: the header, then `.` padding."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS!r}, not {kind!r}")
    if not 0 <= sender <= MAX_SENDER or not 0 <= seq <= MAX_SEQ or not 0 <= sent_ns < 10**20:
        raise ValueError(f"sender {sender}, seq {seq} or time {sent_ns} out of range")
    if not HEADER_SIZE <= size <= HEADER_SIZE + len(_PADDING):
        raise ValueError(f"size {size} must be {HEADER_SIZE}-{HEADER_SIZE + len(_PADDING)} bytes")
    return b"%s%07d%010d%020d" % (kind, sender, seq, sent_ns) + _PADDING[: size - HEADER_SIZE]


def decode_header(payload: bytes) -> Header:
    """Read the header at the start of `payload`."""
    head = payload[:HEADER_SIZE]
    if len(head) < HEADER_SIZE:
        raise HeaderError(f"payload of {len(payload)} bytes is shorter than a header")
    kind = head[:1]
    if kind not in KINDS:
        raise HeaderError(f"unknown message kind {kind!r}")
    digits = head[1:]
    if not digits.isdigit():
        raise HeaderError(f"header fields are not all digits: {digits!r}")
    return Header(kind, int(digits[:7]), int(digits[7:17]), int(digits[17:]))
