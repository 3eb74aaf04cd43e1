"""Tests for the benchmark message header codec."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liveqa_bench.header import (
    HEADER_SIZE,
    KINDS,
    MAX_SENDER,
    MAX_SEQ,
    MEASURED,
    PRIMING,
    Header,
    HeaderError,
    decode_header,
    encode_message,
)


@given(
    kind=st.sampled_from(KINDS),
    sender=st.integers(0, MAX_SENDER),
    seq=st.integers(0, MAX_SEQ),
    sent_ns=st.integers(0, 10**20 - 1),
    size=st.integers(HEADER_SIZE, 2000),
)
def test_round_trip(kind: bytes, sender: int, seq: int, sent_ns: int, size: int) -> None:
    payload = encode_message(kind, sender, seq, sent_ns, size)
    assert len(payload) == size
    assert payload.isascii()
    assert decode_header(payload) == Header(kind, sender, seq, sent_ns)


def test_layout_is_fixed_width_ascii() -> None:
    payload = encode_message(MEASURED, 7, 42, 123456789, 50)
    assert payload == b"M0000007" + b"0000000042" + b"00000000000123456789" + b"." * 12


@pytest.mark.parametrize(
    ("kind", "sender", "seq", "sent_ns", "size"),
    [
        (b"X", 0, 0, 0, 200),
        (MEASURED, -1, 0, 0, 200),
        (MEASURED, MAX_SENDER + 1, 0, 0, 200),
        (MEASURED, 0, MAX_SEQ + 1, 0, 200),
        (MEASURED, 0, 0, 10**20, 200),
        (PRIMING, 0, 0, 0, HEADER_SIZE - 1),
    ],
)
def test_encode_rejects_out_of_range(
    kind: bytes, sender: int, seq: int, sent_ns: int, size: int
) -> None:
    with pytest.raises(ValueError, match=r"must be|out of range"):
        encode_message(kind, sender, seq, sent_ns, size)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"M000", "shorter than a header"),
        (b"Q" + b"0" * 37, "unknown message kind"),
        (b"M" + b"0" * 20 + b"x" + b"0" * 16, "not all digits"),
        (b"M" + b"0" * 20 + b" " + b"0" * 16, "not all digits"),
    ],
)
def test_decode_rejects_garbage(payload: bytes, message: str) -> None:
    with pytest.raises(HeaderError, match=message):
        decode_header(payload)
