"""The web client: files under `/static/`, and its page for `/`, `/{roomId}`, `/{roomId}/present`.

The client lives in the `liveqa/web` directory of the package; when it is missing the routes
answer 503 with a clear message instead of failing.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from aiohttp import web

from liveqa.origin.api import error_response
from liveqa.origin.limits import room_id_problem

WEB_ROOT = Path(__file__).resolve().parent.parent / "web"
WEB_ROOT_KEY = web.AppKey("liveqa_web_root", Path)

# The page's own policy: scripts and styles from this origin only, no framing, no plugins.
PAGE_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def _file(root: Path, relative: str) -> Path | None:
    """The regular file at `relative` under `root`, refusing anything that escapes it."""
    if not relative or "\x00" in relative:
        return None
    try:
        path = (root / relative).resolve()
    except (OSError, ValueError):
        return None
    if not path.is_relative_to(root.resolve()) or not path.is_file():
        return None
    return path


async def static_file(request: web.Request) -> web.StreamResponse:
    """A file of the web client."""
    root = request.app[WEB_ROOT_KEY]
    if not root.is_dir():
        return error_response(503, "web_client_missing", "the web client is not installed")
    path = _file(root, request.match_info["path"])
    if path is None:
        return error_response(404, "not_found", "no such file")
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    response = web.FileResponse(path, headers={"Content-Type": content_type})
    response.headers["Cache-Control"] = "no-cache"
    return response


async def page(request: web.Request) -> web.StreamResponse:
    """The app page; the client reads the room id from the URL."""
    room_id = request.match_info.get("roomId")
    if room_id is not None and room_id_problem(room_id) is not None:
        return error_response(404, "not_found", f"no page at {request.path}")
    index = request.app[WEB_ROOT_KEY] / "index.html"
    if not index.is_file():
        return error_response(503, "web_client_missing", "the web client is not installed")
    response = web.FileResponse(index, headers={"Content-Type": "text/html; charset=utf-8"})
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Content-Security-Policy"] = PAGE_POLICY
    return response


def add_routes(app: web.Application, root: Path = WEB_ROOT) -> None:
    """Serve the web client from `root`."""
    app[WEB_ROOT_KEY] = root
    app.router.add_get("/static/{path:.+}", static_file)
    app.router.add_get("/", page)
    app.router.add_get("/{roomId}", page)
    app.router.add_get("/{roomId}/present", page)
