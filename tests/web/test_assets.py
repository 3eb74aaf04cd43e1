"""The web client as shipped: its first-load weight, no markup sinks, nothing from elsewhere."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[2] / "src" / "liveqa" / "web"
STATIC_IMPORT = re.compile(
    r"^\s*import\s+(?:[^\"';]*?\s+from\s+)?[\"']([^\"']+)[\"']", re.MULTILINE
)
DYNAMIC_IMPORT = re.compile(r"import\(\s*[\"']([^\"']+)[\"']\s*\)")
# Files fetched besides JavaScript on every first load: the page and its stylesheet.
PAGE_FILES = ("index.html", "app.css")
ROUTE_FILES = {"views/present.js": ("present.css",)}
# A first load may transfer 100 KB: the files as the origin sends them (gzipped, see
# liveqa.origin.static), their response headers (about 355 bytes each as measured in Chromium
# behind the origin; 380 leaves slack) and the session and snapshot JSON of a small room (about
# 1 KB each, with headers). tests/origin/test_static.py measures the same through the origin.
FIRST_LOAD_BUDGET = 100_000
HEADERS_PER_RESPONSE = 380
API_ALLOWANCE = 2_500
MARKUP_SINKS = ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "DOMParser")
# JSDoc types for tsc, which no module loads (tests/web/test_types.py).
TYPES_ONLY = {"types.js"}


def scripts() -> list[Path]:
    return sorted(WEB.rglob("*.js"))


def imports(path: Path, pattern: re.Pattern[str]) -> list[Path]:
    text = path.read_text(encoding="utf-8")
    return [(path.parent / spec).resolve() for spec in pattern.findall(text)]


def static_graph(entry: Path) -> set[Path]:
    """`entry` and every module it imports statically, transitively."""
    seen: set[Path] = set()
    todo = [entry.resolve()]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        todo.extend(imports(module, STATIC_IMPORT))
    return seen


def first_load(route_module: str) -> set[Path]:
    return static_graph(WEB / "main.js") | static_graph(WEB / route_module)


@pytest.mark.parametrize("route_module", ["views/start.js", "views/room.js", "views/present.js"])
def test_first_load_fits_the_budget(route_module: str) -> None:
    names = PAGE_FILES + ROUTE_FILES.get(route_module, ())
    files = first_load(route_module) | {WEB / name for name in names}
    size = sum(len(gzip.compress(path.read_bytes(), compresslevel=9, mtime=0)) for path in files)
    transfer = size + HEADERS_PER_RESPONSE * len(files) + API_ALLOWANCE
    assert transfer <= FIRST_LOAD_BUDGET, f"{route_module}: {size} B gzipped, {len(files)} files"


def test_every_import_resolves_to_a_shipped_module() -> None:
    for script in scripts():
        text = script.read_text(encoding="utf-8")
        for spec in STATIC_IMPORT.findall(text) + DYNAMIC_IMPORT.findall(text):
            assert spec.startswith(("./", "../")), f"{script.name}: {spec} is not a local module"
            assert (script.parent / spec).resolve().is_file(), f"{script.name}: {spec} is missing"


def test_every_module_is_used() -> None:
    reachable: set[Path] = set()
    todo = [(WEB / "main.js").resolve()]
    while todo:
        module = todo.pop()
        if module in reachable:
            continue
        reachable.add(module)
        todo.extend(imports(module, STATIC_IMPORT) + imports(module, DYNAMIC_IMPORT))
    unused = {path.relative_to(WEB).as_posix() for path in scripts()} - {
        path.relative_to(WEB).as_posix() for path in reachable
    }
    assert not unused - TYPES_ONLY


def test_no_script_parses_markup() -> None:
    for script in scripts():
        text = script.read_text(encoding="utf-8")
        for sink in MARKUP_SINKS:
            assert sink not in text, f"{script.name} uses {sink}"


def test_the_page_loads_nothing_from_elsewhere() -> None:
    page = (WEB / "index.html").read_text(encoding="utf-8")
    for url in re.findall(r"(?:src|href)=\"([^\"]+)\"", page):
        assert url.startswith("/static/") or url.startswith("data:"), url
        if url.startswith("/static/"):
            assert (WEB / url.removeprefix("/static/")).is_file(), url
    for sheet in WEB.glob("*.css"):
        css = sheet.read_text(encoding="utf-8")
        assert "@import" not in css, sheet.name
        assert "url(" not in css, sheet.name
