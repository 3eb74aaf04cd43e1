"""The axe-core helper: it reports what is wrong in words and never passes without axe-core."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from .axe import ROOT, assert_accessible, axe_source

pytestmark = pytest.mark.browser

BROKEN = """<!doctype html><html lang="en"><head><title>Broken</title></head>
<body><main><h1>Broken</h1><img src="data:,"><input id="nameless"></main></body></html>"""
FINE = """<!doctype html><html lang="en"><head><title>Fine</title></head>
<body><main><h1>Fine</h1><label for="name">Name</label><input id="name"></main></body></html>"""


def test_violations_are_listed_by_rule_impact_element_and_help(browser: Browser) -> None:
    page = browser.new_page()
    try:
        page.set_content(BROKEN)
        with pytest.raises(AssertionError) as failure:
            assert_accessible(page, "a broken page")
        page.set_content(FINE)
        assert_accessible(page, "a fine page")
    finally:
        page.close()
    report = str(failure.value)
    assert "axe-core found 2 violations on a broken page" in report
    assert "image-alt (critical): Images must have alternative text" in report
    assert "label (critical): Form elements must have labels" in report
    assert "\n    #nameless: Fix any of the following:" in report


def test_without_node_modules_the_test_fails_saying_how_to_install(tmp_path: Path) -> None:
    shutil.copy(ROOT / "package-lock.json", tmp_path)
    with pytest.raises(pytest.fail.Exception, match=r"not installed .* run scripts/test"):
        axe_source(tmp_path)


def test_a_stale_node_modules_fails_the_test_too(tmp_path: Path) -> None:
    shutil.copy(ROOT / "package-lock.json", tmp_path)
    package = tmp_path / "node_modules" / "axe-core"
    package.mkdir(parents=True)
    (package / "package.json").write_text('{"version": "0.0.1"}')
    (package / "axe.min.js").write_text("")
    with pytest.raises(pytest.fail.Exception, match=r"axe-core 0.0.1, package-lock.json wants"):
        axe_source(tmp_path)
