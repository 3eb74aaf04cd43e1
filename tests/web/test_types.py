"""The web client type-checks: `tsc --noEmit` over its `// @ts-check` modules (tsconfig.json)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "src" / "liveqa" / "web"
TSC = ROOT / "node_modules" / ".bin" / "tsc"
COMMENTS = re.compile(r"/\*.*?\*/|//[^\n]*", re.DOTALL)


def test_the_web_client_type_checks() -> None:
    assert TSC.is_file(), f"{TSC} is missing: run `npm ci` in {ROOT} (scripts/test does)"
    result = subprocess.run(
        [str(TSC), "--noEmit", "--pretty", "false", "-p", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, f"tsc found errors:\n{result.stdout}{result.stderr}"


def test_every_module_asks_for_checking() -> None:
    # Every module, so none can be added unchecked; editors honour the line without tsconfig.
    scripts = sorted(WEB.rglob("*.js"))
    assert len(scripts) > 30
    for script in scripts:
        first = script.read_text(encoding="utf-8").splitlines()[0]
        name = script.relative_to(WEB)
        assert first == "// @ts-check", f"{name} must start with `// @ts-check`"


def test_the_check_is_strict_and_covers_the_client() -> None:
    config = json.loads((ROOT / "tsconfig.json").read_text(encoding="utf-8"))
    options = config["compilerOptions"]
    assert options["strict"] is True
    assert options["checkJs"] is True
    assert options["noEmit"] is True
    assert "src/liveqa/web/**/*.js" in config["include"]


def test_the_types_module_is_never_loaded() -> None:
    code = COMMENTS.sub("", (WEB / "types.js").read_text(encoding="utf-8"))
    assert code.split() == ["export", "{};"], "types.js holds JSDoc types only"
    for script in WEB.rglob("*.js"):
        code = COMMENTS.sub("", script.read_text(encoding="utf-8"))
        assert "types.js" not in code, f"{script.name} loads types.js; name it in JSDoc only"
