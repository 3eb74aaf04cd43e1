"""The origin-request codec: request bytes, and responses parsed as they arrive."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liveqa.edge.http1 import Response, ResponseError, ResponseParser, encode_request


def parse_in_pieces(data: bytes, step: int, max_body: int = 1000) -> Response | None:
    parser = ResponseParser(max_body)
    result = None
    for start in range(0, len(data), step):
        assert result is None, "complete before the last byte"
        result = parser.feed(data[start : start + step])
    return result


def test_encode_request_adds_host_and_length_and_keeps_header_bytes() -> None:
    request = encode_request("POST", "/ws?x=1", "origin:8000", [("Cookie", "caf\xe9")], b"OPEN\r\n")
    assert request == (
        b"POST /ws?x=1 HTTP/1.1\r\nHost: origin:8000\r\nCookie: caf\xe9\r\n"
        b"Content-Length: 6\r\n\r\nOPEN\r\n"
    )
    with_host = encode_request("POST", "/", "origin", [("Host", "client.example")], b"")
    assert b"Host: origin" not in with_host
    assert b"Host: client.example\r\n" in with_host


@given(st.binary(max_size=300), st.integers(min_value=1, max_value=40))
def test_content_length_body_in_any_pieces(body: bytes, step: int) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: x\r\nContent-Length: %d\r\n\r\n" % len(body)
    response = parse_in_pieces(head + body, step)
    assert response is not None
    assert (response.status, response.reason, response.body) == (200, "OK", body)
    assert response.headers["content-type"] == "x"
    assert response.keep_alive


@given(st.lists(st.binary(min_size=1, max_size=50), max_size=5), st.integers(1, 30))
def test_chunked_body_in_any_pieces(chunks: list[bytes], step: int) -> None:
    wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    wire += b"".join(b"%x;ext=1\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\nX-T: 1\r\n\r\n"
    response = parse_in_pieces(wire, step)
    assert response is not None
    assert response.body == b"".join(chunks)
    assert response.keep_alive


def test_header_bytes_are_kept_one_character_per_byte() -> None:
    response = ResponseParser(100).feed(
        b"HTTP/1.1 200 OK\r\nSet-Meta-Name: J\xc3\xbcrgen\r\nContent-Length: 0\r\n\r\n"
    )
    assert response is not None
    assert response.headers["Set-Meta-Name"].encode("latin-1") == "Jürgen".encode()


def test_close_delimited_body_ends_at_eof() -> None:
    parser = ResponseParser(100)
    assert parser.feed(b"HTTP/1.0 200 OK\r\n\r\npart") is None
    response = parser.feed_eof()
    assert response.body == b"part"
    assert not response.keep_alive


@pytest.mark.parametrize(
    ("head", "keep_alive"),
    [
        (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0", False),
        (b"HTTP/1.0 200 OK\r\nContent-Length: 0", False),
        (b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0", True),
        (b"HTTP/1.1 204 No Content", True),
    ],
)
def test_keep_alive(head: bytes, keep_alive: bool) -> None:
    response = ResponseParser(100).feed(head + b"\r\n\r\n")
    assert response is not None
    assert response.keep_alive is keep_alive


def test_extra_bytes_after_the_response_make_the_connection_unusable() -> None:
    response = ResponseParser(100).feed(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab")
    assert response is not None
    assert response.body == b"a"
    assert not response.keep_alive


@pytest.mark.parametrize(
    "wire",
    [
        b"HTTP/2 200 OK\r\n\r\n",
        b"HTTP/1.1 2000 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"3e8\r\n"
        + b"x" * 1000
        + b"\r\n"
        b"3e8\r\n" + b"x" * 1000 + b"\r\n",
    ],
)
def test_malformed_or_oversized_responses(wire: bytes) -> None:
    with pytest.raises(ResponseError):
        ResponseParser(1500).feed(wire)


def test_eof_before_the_end_is_an_error() -> None:
    parser = ResponseParser(100)
    parser.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
    with pytest.raises(ResponseError):
        parser.feed_eof()


def test_a_head_that_never_ends_is_refused() -> None:
    with pytest.raises(ResponseError):
        ResponseParser(100).feed(b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 20_000)


@given(st.integers(min_value=1, max_value=40), st.sampled_from([100, 102, 103]))
def test_interim_responses_are_skipped_in_any_pieces(step: int, interim: int) -> None:
    wire = b"HTTP/1.1 %d Interim\r\nLink: </x>\r\n\r\n" % interim
    wire += b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    response = parse_in_pieces(wire, step)
    assert response is not None
    assert (response.status, response.body, response.keep_alive) == (200, b"ok", True)


def test_an_interim_response_alone_is_not_the_answer() -> None:
    parser = ResponseParser(100)
    assert parser.feed(b"HTTP/1.1 100 Continue\r\n\r\n") is None
    response = parser.feed(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
    assert response is not None
    assert response.status == 403


@pytest.mark.parametrize(
    "wire",
    [
        b"HTTP/1.1 101 Switching Protocols\r\n\r\n",
        b"HTTP/1.1 100 Continue\r\n\r\n" * 9,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1_0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: \xb2\r\n\r\n",
        b"HTTP/1.1 +20 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x2\r\nab\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\nab\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"1" * 5000,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + b"T: x\r\n" * 12_000,
    ],
)
def test_ambiguous_framing_and_unexpected_answers_are_refused(wire: bytes) -> None:
    with pytest.raises(ResponseError):
        ResponseParser(1500).feed(wire)


def test_repeated_equal_lengths_are_one_length() -> None:
    response = ResponseParser(100).feed(b"HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok")
    assert response is not None
    assert response.body == b"ok"


def test_a_body_delimited_by_the_close_never_keeps_the_connection() -> None:
    parser = ResponseParser(100)
    assert parser.feed(b"HTTP/1.1 200 OK\r\n\r\nsome") is None
    assert not parser.feed_eof().keep_alive
