"""axe-core (npm, from node_modules) injected into a Playwright page; violations raised in words."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
INSTALL = "run scripts/test, or `npm ci` at the repository root, to install it"

# Waits for running CSS animations and transitions (a half-faded colour is not the one people
# read), then runs every rule axe-core enables by default: WCAG 2.0-2.2 A and AA, best practices.
RUN = """
async () => {
  await Promise.all(document.getAnimations().map((a) => a.finished.catch(() => null)));
  const results = await axe.run(document, { resultTypes: ["violations"] });
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({ target: n.target, summary: n.failureSummary })),
  }));
}
"""


@cache
def axe_source(root: Path = ROOT) -> str:
    """axe.min.js as installed from package-lock.json; fails the test, saying how to install it."""
    locked = json.loads((root / "package-lock.json").read_text())
    wanted = locked["packages"]["node_modules/axe-core"]["version"]
    package = root / "node_modules" / "axe-core"
    if not (package / "package.json").is_file() or not (package / "axe.min.js").is_file():
        pytest.fail(
            f"axe-core is not installed in {root / 'node_modules'}: {INSTALL}", pytrace=False
        )
    installed = json.loads((package / "package.json").read_text())["version"]
    if installed != wanted:
        pytest.fail(
            f"node_modules has axe-core {installed}, package-lock.json wants {wanted}: {INSTALL}",
            pytrace=False,
        )
    return (package / "axe.min.js").read_text()


def violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on `page` as it is now (injected once per document)."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    found: list[dict[str, Any]] = page.evaluate(RUN)
    return found


def describe(found: list[dict[str, Any]]) -> str:
    """One paragraph per rule: id, impact, help, then each failing element's selector."""
    lines = []
    for violation in found:
        lines.append(
            f"{violation['id']} ({violation['impact']}): {violation['help']}"
            f" <{violation['helpUrl']}>"
        )
        for node in violation["nodes"]:
            summary = " ".join((node["summary"] or "").split())
            lines.append(f"    {' > '.join(map(str, node['target']))}: {summary}")
    return "\n".join(lines)


def assert_accessible(page: Page, where: str) -> None:
    """Fail with a readable list of what axe-core finds on `page` (`where` names the screen)."""
    found = violations(page)
    assert not found, f"axe-core found {len(found)} violations on {where}:\n{describe(found)}"
