"""HTTP/1.1 for the edge's requests to the origin, sans I/O: request bytes out, responses in.

Written by hand because every handshake and every batch of client messages is one origin request:
a general-purpose client costs about four times the CPU of this one per request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from multidict import CIMultiDict

MAX_HEAD_SIZE = 65_536
# Interim (1xx) responses skipped before the final one; an origin sending more is broken.
MAX_INTERIM_RESPONSES = 8
# A chunk's size line with its extensions.
MAX_CHUNK_LINE = 4096

_DIGITS = re.compile(r"[0-9]{1,15}")
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,15}")


class ResponseError(Exception):
    """The origin's answer is not valid HTTP/1.1, or too large."""


@dataclass(slots=True)
class Response:
    """A complete response; header text holds one character per byte (latin-1)."""

    status: int
    reason: str
    headers: CIMultiDict[str]
    body: bytes
    keep_alive: bool


def encode_request(
    method: str, target: str, host: str, headers: list[tuple[str, str]], body: bytes
) -> bytes:
    """A request with a Content-Length body; a Host in `headers` wins over `host`."""
    lines = [f"{method} {target} HTTP/1.1"]
    if not any(name.lower() == "host" for name, _ in headers):
        lines.append(f"Host: {host}")
    lines += [f"{name}: {value}" for name, value in headers]
    lines.append(f"Content-Length: {len(body)}\r\n\r\n")
    return "\r\n".join(lines).encode("latin-1") + body


class ResponseParser:
    """Feed bytes as they arrive; `feed` returns the response once it is complete."""

    __slots__ = (
        "_body",
        "_buffer",
        "_chunked",
        "_head",
        "_interim",
        "_length",
        "_received",
        "max_body",
    )

    def __init__(self, max_body: int) -> None:
        self.max_body = max_body
        self._buffer = b""
        self._head: tuple[int, str, CIMultiDict[str], bool] | None = None
        self._length: int | None = None
        self._chunked = False
        self._body: list[bytes] = []
        self._received = 0
        self._interim = 0

    def feed(self, data: bytes) -> Response | None:
        """Add bytes; the response when it is complete, else None."""
        self._buffer += data
        while self._head is None:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buffer) > MAX_HEAD_SIZE:
                    raise ResponseError("response head too large")
                return None
            head = self._parse_head(self._buffer[:end])
            self._buffer = self._buffer[end + 4 :]
            if head is not None:
                self._head = head
        if self._chunked:
            return self._chunks()
        if self._length is None:
            self._check_size(len(self._buffer))
            return None
        if len(self._buffer) < self._length:
            return None
        body, self._buffer = self._buffer[: self._length], self._buffer[self._length :]
        return self._complete(body)

    def feed_eof(self) -> Response:
        """The connection closed: the response if its body was delimited by the close."""
        if self._head is not None and self._length is None and not self._chunked:
            self._head = (*self._head[:3], False)
            return self._complete(self._buffer)
        raise ResponseError("connection closed before the response was complete")

    def _parse_head(self, head: bytes) -> tuple[int, str, CIMultiDict[str], bool] | None:
        """The final response's head and body framing; None for an interim (1xx) response."""
        lines = head.decode("latin-1").split("\r\n")
        version, _, rest = lines[0].partition(" ")
        code, _, reason = rest.partition(" ")
        if version not in ("HTTP/1.1", "HTTP/1.0") or not _DIGITS.fullmatch(code) or len(code) != 3:
            raise ResponseError(f"malformed status line {lines[0][:60]!r}")
        headers: CIMultiDict[str] = CIMultiDict()
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep or not name or name != name.strip():
                raise ResponseError(f"malformed header line {line[:60]!r}")
            headers.add(name, value.strip(" \t"))
        status = int(code)
        if 100 <= status < 200:
            # Taking a 100 Continue for the answer would hand the real one to the next request.
            if status == 101:
                raise ResponseError("101 Switching Protocols to a request that asked for none")
            self._interim += 1
            if self._interim > MAX_INTERIM_RESPONSES:
                raise ResponseError(f"more than {MAX_INTERIM_RESPONSES} interim responses")
            return None
        connection = headers.get("Connection", "").lower()
        keep_alive = "close" not in connection and (
            version == "HTTP/1.1" or "keep-alive" in connection
        )
        self._frame_body(status, headers)
        if self._length is None and not self._chunked:
            keep_alive = False  # the body ends when the connection does
        return status, reason, headers, keep_alive

    def _frame_body(self, status: int, headers: CIMultiDict[str]) -> None:
        """How the body ends (RFC 9112 section 6.3); ambiguous framing is refused, not guessed."""
        codings = [
            coding.strip().lower()
            for value in headers.getall("Transfer-Encoding", ())
            for coding in value.split(",")
        ]
        lengths = {
            length.strip()
            for value in headers.getall("Content-Length", ())
            for length in value.split(",")
        }
        if codings and lengths:
            raise ResponseError("both Transfer-Encoding and Content-Length")
        if codings:
            if codings != ["chunked"]:
                raise ResponseError(f"unsupported Transfer-Encoding {', '.join(codings)[:60]!r}")
            self._chunked = True
        elif status in (204, 304):
            self._length = 0
        elif lengths:
            length = lengths.pop()
            if lengths or not _DIGITS.fullmatch(length):
                raise ResponseError("malformed Content-Length")
            self._length = int(length)
            self._check_size(self._length)

    def _chunks(self) -> Response | None:
        buffer = self._buffer
        while True:
            end = buffer.find(b"\r\n")
            if end < 0:
                if len(buffer) > MAX_CHUNK_LINE:
                    raise ResponseError("chunk size line too long")
                break
            digits = buffer[:end].split(b";", 1)[0].strip(b" \t")
            if not _CHUNK_SIZE.fullmatch(digits):
                raise ResponseError("malformed chunk size")
            size = int(digits, 16)
            if size == 0:
                if buffer[end + 2 : end + 4] == b"\r\n":
                    stop = end + 4
                else:
                    trailers = buffer.find(b"\r\n\r\n", end + 2)
                    if trailers < 0:
                        if len(buffer) > MAX_HEAD_SIZE:
                            raise ResponseError("trailers too large")
                        break
                    stop = trailers + 4
                self._buffer = buffer[stop:]
                return self._complete(b"".join(self._body))
            data_end = end + 2 + size
            if len(buffer) < data_end + 2:
                break
            if buffer[data_end : data_end + 2] != b"\r\n":
                raise ResponseError("chunk not followed by CRLF")
            self._body.append(buffer[end + 2 : data_end])
            self._received += size
            self._check_size(self._received)
            buffer = buffer[data_end + 2 :]
        self._buffer = buffer
        return None

    def _check_size(self, size: int) -> None:
        if size > self.max_body:
            raise ResponseError(f"response body over {self.max_body} bytes")

    def _complete(self, body: bytes) -> Response:
        assert self._head is not None
        status, reason, headers, keep_alive = self._head
        if self._buffer:
            keep_alive = False  # bytes after the response: the connection is not reusable
        return Response(status, reason, headers, body, keep_alive)
