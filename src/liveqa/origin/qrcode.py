"""The QR code on the projector: a room's join URL, absolute, as the people in the room reach it."""

from __future__ import annotations

import io
import re

import segno
from aiohttp import web

from liveqa.origin.errors import invalid

# A host name, IPv4 or bracketed IPv6 address, with an optional port: nothing a URL could
# carry beyond that (no user info, path or spaces) ends up in a printed code.
_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?")


def join_url(request: web.Request, room_id: str, public_url: str | None = None) -> str:
    """`public_url/roomId`, or without one `scheme://host/roomId` from the Host header and
    X-Forwarded-Proto (set by our proxy)."""
    if public_url is not None:
        return f"{public_url}/{room_id}"
    host = request.host
    if not _HOST.fullmatch(host):
        raise invalid(f"the Host header {host!r} is not a host name", "invalid_host")
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    scheme = forwarded if forwarded in ("http", "https") else request.scheme
    return f"{scheme}://{host.lower()}/{room_id}"


def qr_svg(text: str) -> bytes:
    """`text` as a QR code in SVG that scales to its box, dark on white so it scans anywhere."""
    code = segno.make(text, micro=False, error="m")
    out = io.BytesIO()
    code.save(
        out,
        kind="svg",
        xmldecl=False,
        omitsize=True,
        border=4,
        dark="#000",
        light="#fff",
        title=text,
    )
    return out.getvalue()
