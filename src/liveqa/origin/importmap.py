"""The app page made to load one release: every module and style sheet URL carries its hash.

The page gets an import map from each file's plain URL to `?v=<hash>`, so the modules' own
relative imports (and `import.meta.resolve` for style sheets) reach the files of the same
release, which browsers may then keep for a year; a deploy changes the page, never a cached file.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping

# The page's links to the client's own files, e.g. `src="/static/main.js"`.
_OWN_FILE = re.compile(r'(?P<attribute>src|href)="(?P<url>/static/[^"?#]+)"')


def versioned(url: str, version: str) -> str:
    """`url` for the release whose file has content hash `version`."""
    return f"{url}?v={version}"


def release_page(html: str, versions: Mapping[str, str]) -> tuple[str, str | None]:
    """The page with an import map and versioned links, and the CSP source that allows the map
    (None: the page loads no module, so it needs no map).

    `versions` maps each file's URL (`/static/main.js`) to its content hash.
    """
    imports = {url: versioned(url, version) for url, version in sorted(versions.items())}
    # "<" escaped: a file name can never end the script element early.
    content = json.dumps({"imports": imports}, separators=(",", ":")).replace("<", "\\u003c")
    digest = base64.b64encode(hashlib.sha256(content.encode()).digest()).decode()

    def link(match: re.Match[str]) -> str:
        url = match["url"]
        if url not in versions:
            return match[0]
        return f'{match["attribute"]}="{versioned(url, versions[url])}"'

    linked = _OWN_FILE.sub(link, html)
    # The map must come before the first module script to apply to it; no modules, no map.
    at = linked.find('<script type="module"')
    if at < 0:
        return linked, None
    script = f'<script type="importmap">{content}</script>\n    '
    return linked[:at] + script + linked[at:], f"'sha256-{digest}'"
