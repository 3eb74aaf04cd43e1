"""The app page of one release: an import map and links that carry each file's hash."""

from __future__ import annotations

import base64
import hashlib
import json
import re

from liveqa.origin.importmap import release_page

PAGE = """<!doctype html>
<html><head>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="/static/app.css">
    <script type="module" src="/static/main.js"></script>
</head><body><a href="/static/other.txt">x</a></body></html>"""
VERSIONS = {
    "/static/app.css": "c55",
    "/static/main.js": "a1",
    "/static/views/room.js": "b2",
    "/static/</script>.js": "d4",
}


def _map(html: str) -> tuple[str, dict[str, dict[str, str]]]:
    found = re.search(r'<script type="importmap">(.*?)</script>', html)
    assert found is not None
    return found[1], json.loads(found[1])


def test_every_file_is_mapped_to_its_versioned_url() -> None:
    html, _ = release_page(PAGE, VERSIONS)
    _, mapping = _map(html)
    assert mapping == {
        "imports": {
            "/static/</script>.js": "/static/</script>.js?v=d4",
            "/static/app.css": "/static/app.css?v=c55",
            "/static/main.js": "/static/main.js?v=a1",
            "/static/views/room.js": "/static/views/room.js?v=b2",
        }
    }


def test_links_carry_the_hash_and_the_map_comes_before_the_first_module() -> None:
    html, _ = release_page(PAGE, VERSIONS)
    assert 'href="/static/app.css?v=c55"' in html
    assert 'src="/static/main.js?v=a1"' in html
    # Files the release does not version keep their links.
    assert 'href="/static/other.txt"' in html
    assert html.index('type="importmap"') < html.index('type="module"')
    # A file name cannot close the map's script element.
    assert html.count("</script>") == 2


def test_the_policy_source_is_the_hash_of_the_map() -> None:
    html, source = release_page(PAGE, VERSIONS)
    content, _ = _map(html)
    digest = base64.b64encode(hashlib.sha256(content.encode()).digest()).decode()
    assert source == f"'sha256-{digest}'"


def test_a_page_without_modules_gets_no_map() -> None:
    html, source = release_page('<link rel="stylesheet" href="/static/app.css">', VERSIONS)
    assert (html, source) == ('<link rel="stylesheet" href="/static/app.css?v=c55">', None)
