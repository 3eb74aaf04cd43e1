"""Runs the web client's JavaScript unit tests (`tests/web/*.test.mjs`) with Node's test runner."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

HERE = Path(__file__).parent


def test_javascript_unit_tests_pass() -> None:
    node = shutil.which("node")
    assert node is not None, "Node.js 20+ runs the web client's unit tests; install it"
    result = subprocess.run(
        [node, "--test", str(HERE)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = result.stdout[-6000:] + result.stderr[-2000:]
    assert result.returncode == 0, report
    passed = re.search(r"^# pass (\d+)$", result.stdout, re.MULTILINE)
    assert passed is not None, report
    files = list(HERE.glob("*.test.mjs"))
    assert int(passed.group(1)) >= len(files), f"fewer tests than test files ran:\n{report}"
    assert re.search(r"^# fail 0$", result.stdout, re.MULTILINE), report
