#!/usr/bin/env python3
"""Print a pip constraints file made from pyproject.toml.

`scripts/constraints.py lowest`: `name==floor` for every runtime dependency (the `>=` bounds of
`dependencies` and of the runtime extras), which scripts/test-lowest installs.
`scripts/constraints.py dev`: the installed version of every development tool and of what it pulls
in, leaving out the runtime dependencies; run it where `.[all,test]` was just installed without
constraints to write constraints/dev.txt anew.
"""

from __future__ import annotations

import importlib.metadata
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
DEVELOPMENT_EXTRAS = {"test", "bench"}

HEADER = """\
# Exact versions of the development tools (the `test` extra and what they pull in), so that a new
# release of ruff, mypy, pytest or a plugin cannot turn main red on its own. scripts/test installs
# with `-c constraints/dev.txt`; runtime dependencies are not pinned here (the suite runs on their
# newest releases and scripts/test-lowest on their floors). Written by `scripts/constraints.py dev`
# (CONTRIBUTING.md says when and how); a single line may be edited by hand."""


def project() -> dict[str, object]:
    project: dict[str, object] = tomllib.loads(PYPROJECT.read_text())["project"]
    return project


def runtime_requirements() -> list[Requirement]:
    """`dependencies` and every extra but the development ones, extras of extras expanded."""
    info = project()
    extras: dict[str, list[str]] = info["optional-dependencies"]  # type: ignore[assignment]
    texts: list[str] = list(info["dependencies"])  # type: ignore[call-overload]
    for extra, listed in extras.items():
        if extra not in DEVELOPMENT_EXTRAS:
            texts += listed
    return [r for r in map(Requirement, texts) if r.name != info["name"]]


def lowest() -> list[str]:
    """One `name==floor` line per runtime requirement; each must have exactly one `>=` floor."""
    lines = set()
    for requirement in runtime_requirements():
        bounds = [spec.version for spec in requirement.specifier if spec.operator == ">="]
        if len(bounds) != 1:
            sys.exit(f"{requirement} in pyproject.toml needs exactly one >= floor")
        lines.add(f"{requirement.name}=={bounds[0]}")
    return sorted(lines, key=str.lower)


def closure(requirements: list[Requirement]) -> dict[str, str]:
    """Installed name -> version of `requirements` and of everything they require, recursively."""
    found: dict[str, str] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    todo = [(r, frozenset(r.extras)) for r in requirements]
    while todo:
        requirement, extras = todo.pop()
        name = canonicalize_name(requirement.name)
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        try:
            distribution = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue  # not for this platform or Python
        found[name] = f"{distribution.metadata['Name']}=={distribution.version}"
        for text in distribution.requires or []:
            needed = Requirement(text)
            markers = [{"extra": extra} for extra in extras] or [{"extra": ""}]
            if needed.marker is None or any(needed.marker.evaluate(m) for m in markers):
                todo.append((needed, frozenset(needed.extras)))
    return found


def dev() -> list[str]:
    """Pins of the `test` extra's closure minus the runtime closure."""
    extras: dict[str, list[str]] = project()["optional-dependencies"]  # type: ignore[assignment]
    tools = closure([Requirement(text) for text in extras["test"]])
    runtime = closure(runtime_requirements())
    return [HEADER, *sorted((pin for n, pin in tools.items() if n not in runtime), key=str.lower)]


if __name__ == "__main__":
    kinds = {"lowest": lowest, "dev": dev}
    if len(sys.argv) != 2 or sys.argv[1] not in kinds:
        sys.exit("usage: scripts/constraints.py lowest|dev")
    print("\n".join(kinds[sys.argv[1]]()))
