"""The web client: files under `/static/`, and its page for `/`, `/{roomId}`, `/{roomId}/present`.

Files are read and gzipped once per change and kept in memory (the client is a few dozen small
files); each carries an ETag so a browser revalidates cheaply. The page loads them by URLs that
carry their content hash (`liveqa.origin.importmap`), which may be cached for a year. The client
lives in the `liveqa/web` directory of the package; when it is missing the routes answer 503 with
a clear message instead of failing.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import mimetypes
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from liveqa.origin.api import error_response
from liveqa.origin.compression import COMPRESSIBLE, accepts_gzip
from liveqa.origin.importmap import release_page
from liveqa.origin.limits import is_reserved

WEB_ROOT = Path(__file__).resolve().parent.parent / "web"
WEB_ROOT_KEY = web.AppKey("liveqa_web_root", Path)

# For a URL without the file's current hash: short, so a new release reaches browsers within a
# minute; after that a revalidation costs a 304.
STATIC_CACHE = "public, max-age=60"
# For a URL with it: those bytes never change.
RELEASE_CACHE = "public, max-age=31536000, immutable"
# The files the page's import map versions.
RELEASED_SUFFIXES = (".js", ".css")
# The page is always revalidated: it is what a release changes first.
PAGE_CACHE = "no-cache"

# The page's own policy: scripts and styles from this origin only, no framing, no plugins.
PAGE_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


@dataclass(frozen=True)
class Asset:
    """One file in memory: its bytes, its gzip form when smaller, and its content hash."""

    stamp: tuple[int, int]
    content_type: str
    body: bytes
    gzipped: bytes | None
    version: str

    @property
    def etag(self) -> str:
        """The weak validator browsers revalidate with."""
        return f'W/"{self.version}"'


def make_asset(body: bytes, content_type: str, stamp: tuple[int, int]) -> Asset:
    """`body` in memory, gzipped if its type compresses and the result is smaller."""
    gzipped = None
    if content_type in COMPRESSIBLE:
        # mtime=0: the same file always gives the same bytes.
        packed = gzip.compress(body, compresslevel=9, mtime=0)
        gzipped = packed if len(packed) < len(body) else None
    version = hashlib.sha256(body).hexdigest()[:24]
    if content_type == "text/html":
        content_type = "text/html; charset=utf-8"
    return Asset(stamp, content_type, body, gzipped, version)


def load_asset(path: Path, stamp: tuple[int, int]) -> Asset:
    """Read `path` into memory."""
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return make_asset(path.read_bytes(), content_type, stamp)


@dataclass(frozen=True)
class Release:
    """The app page for one set of files, and the policy that lets its import map run."""

    files: tuple[tuple[str, str], ...]
    page: Asset
    policy: str


@dataclass
class Assets:
    """The files of one web root, reloaded when their modification time or size changes."""

    root: Path
    cache: dict[Path, Asset] = field(default_factory=dict)
    release: Release | None = None

    def current(self, path: Path) -> tuple[tuple[int, int], Asset | None]:
        """The file's stamp (modification time, size) and its asset if that is still current."""
        # One stat per request: cheap enough to stay on the event loop.
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        asset = self.cache.get(path)
        return stamp, asset if asset is not None and asset.stamp == stamp else None

    async def get(self, path: Path) -> Asset:
        """The asset at `path` (a file under the root), from memory when unchanged."""
        stamp, asset = self.current(path)
        if asset is None:
            asset = await asyncio.to_thread(load_asset, path, stamp)
            self.cache[path] = asset
        return asset

    async def current_release(self, index: Path) -> Release:
        """The page at `index` linking every module and style sheet by its content hash."""
        page = await self.get(index)
        versions = {}
        for path in sorted(self.root.rglob("*")):
            if path.suffix in RELEASED_SUFFIXES and path.is_file():
                url = "/static/" + path.relative_to(self.root).as_posix()
                versions[url] = (await self.get(path)).version
        files = (("", page.version), *sorted(versions.items()))
        if self.release is None or self.release.files != files:
            html, script = release_page(page.body.decode(), versions)
            policy = PAGE_POLICY if script is None else f"{PAGE_POLICY}; script-src 'self' {script}"
            self.release = Release(
                files, make_asset(html.encode(), "text/html", page.stamp), policy
            )
        return self.release


ASSETS_KEY = web.AppKey("liveqa_web_assets", Assets)


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


def _matches(if_none_match: str | None, etag: str) -> bool:
    """Weak comparison of `If-None-Match` with our ETag (RFC 9110 13.1.2)."""
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag.removeprefix("W/") in tags


def asset_response(request: web.Request, asset: Asset, cache_control: str) -> web.Response:
    """The asset, gzipped when accepted, or 304 when the browser's copy is current."""
    headers = {"Cache-Control": cache_control, "ETag": asset.etag}
    if asset.gzipped is not None:
        headers["Vary"] = "Accept-Encoding"
    if _matches(request.headers.get("If-None-Match"), asset.etag):
        return web.Response(status=304, headers=headers)
    headers["Content-Type"] = asset.content_type
    body = asset.body
    if asset.gzipped is not None and accepts_gzip(request.headers.get("Accept-Encoding", "")):
        body = asset.gzipped
        headers["Content-Encoding"] = "gzip"
    return web.Response(body=body, headers=headers)


async def _asset(request: web.Request, path: Path) -> Asset | None:
    try:
        return await request.app[ASSETS_KEY].get(path)
    except OSError:
        # Removed between the lookup and the read (a redeploy): as if it was never there.
        return None


async def static_file(request: web.Request) -> web.StreamResponse:
    """A file of the web client."""
    root = request.app[WEB_ROOT_KEY]
    if not root.is_dir():
        return error_response(503, "web_client_missing", "the web client is not installed")
    path = _file(root, request.match_info["path"])
    asset = None if path is None else await _asset(request, path)
    if asset is None:
        return error_response(404, "not_found", "no such file")
    current = request.query.get("v") == asset.version
    return asset_response(request, asset, RELEASE_CACHE if current else STATIC_CACHE)


async def page(request: web.Request) -> web.StreamResponse:
    """The app page; the client reads the room id from the URL and explains a bad one."""
    room_id = request.match_info.get("roomId")
    if room_id is not None and is_reserved(room_id):
        return error_response(404, "not_found", f"no page at {request.path}")
    index = request.app[WEB_ROOT_KEY] / "index.html"
    try:
        release = await request.app[ASSETS_KEY].current_release(index)
    except OSError:
        # Missing, or removed mid-read by a redeploy.
        return error_response(503, "web_client_missing", "the web client is not installed")
    response = asset_response(request, release.page, PAGE_CACHE)
    response.headers["Content-Security-Policy"] = release.policy
    return response


def add_routes(app: web.Application, root: Path = WEB_ROOT) -> None:
    """Serve the web client from `root`."""
    app[WEB_ROOT_KEY] = root
    app[ASSETS_KEY] = Assets(root)
    app.router.add_get("/static/{path:.+}", static_file)
    app.router.add_get("/", page)
    app.router.add_get("/{roomId}", page)
    app.router.add_get("/{roomId}/present", page)
