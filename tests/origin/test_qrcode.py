"""The projector's QR code: the join URL it carries, and the SVG it is drawn as."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
import segno
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from liveqa.origin.errors import Refused
from liveqa.origin.qrcode import join_url, qr_svg

SVG_NS = "{http://www.w3.org/2000/svg}"


def _request(**headers: str) -> web.Request:
    return make_mocked_request("GET", "/api/rooms/town-hall/qr.svg", headers=headers)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Host": "qa.example.org"}, "http://qa.example.org/town-hall"),
        (
            {"Host": "QA.Example.org:8443", "X-Forwarded-Proto": "https"},
            "https://qa.example.org:8443/town-hall",
        ),
        (
            {"Host": "10.0.0.5:7999", "X-Forwarded-Proto": "HTTPS, http"},
            "https://10.0.0.5:7999/town-hall",
        ),
        ({"Host": "[::1]:7999", "X-Forwarded-Proto": "gopher"}, "http://[::1]:7999/town-hall"),
    ],
)
def test_join_url_uses_host_and_forwarded_proto(headers: dict[str, str], expected: str) -> None:
    assert join_url(_request(**headers), "town-hall") == expected


def test_a_public_url_is_the_base_whatever_the_request_says() -> None:
    request = _request(Host="127.0.0.1:7999", **{"X-Forwarded-Proto": "http"})
    assert join_url(request, "town-hall", "https://qa.example.org") == (
        "https://qa.example.org/town-hall"
    )


@pytest.mark.parametrize(
    "host", ["evil.example/phish?x=", "user@qa.example.org", "qa example.org", "-qa.example", ""]
)
def test_join_url_refuses_a_host_that_is_not_one(host: str) -> None:
    with pytest.raises(Refused) as refused:
        join_url(_request(Host=host), "town-hall")
    assert (refused.value.status, refused.value.code) == (400, "invalid_host")


def dark_modules(svg: bytes) -> set[tuple[int, int]]:
    """The (row, column) of every dark module the SVG's stroked path draws."""
    root = ET.fromstring(svg)
    [line] = [p for p in root.iter(f"{SVG_NS}path") if p.get("stroke")]
    x = y = 0.0
    dark: set[tuple[int, int]] = set()
    for command, numbers in re.findall(r"([MmHh])([-\d. ]+)", line.attrib["d"]):
        values = [float(n) for n in numbers.split()]
        if command in "Mm":
            x, y = (values[0], values[1]) if command == "M" else (x + values[0], y + values[1])
        else:
            length = values[0] - x if command == "H" else values[0]
            dark.update((int(y), int(x) + i) for i in range(int(length)))
            x += length
    return dark


def test_svg_draws_the_code_of_the_url_and_scales() -> None:
    url = "https://qa.example.org/town-hall"
    svg = qr_svg(url)
    border = 4
    matrix = segno.make(url, micro=False, error="m").matrix
    expected = {
        (row + border, column + border)
        for row, values in enumerate(matrix)
        for column, value in enumerate(values)
        if value
    }
    assert dark_modules(svg) == expected
    root = ET.fromstring(svg)
    assert "width" not in root.attrib
    assert "height" not in root.attrib
    side = len(matrix) + 2 * border
    assert root.attrib["viewBox"] == f"0 0 {side} {side}"
    assert root.findtext(f"{SVG_NS}title") == url
    # White behind the dark modules, so the code also scans on a dark projector theme.
    assert b'fill="#fff"' in svg
    assert dark_modules(qr_svg("https://qa.example.org/other")) != expected
