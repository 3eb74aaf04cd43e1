"""The `liveqa` command: commands other distributions add, and a clear word when one is missing."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from liveqa import cli

COUNTER = """
import argparse

def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--times", type=int, required=True)

def run(args: argparse.Namespace) -> int:
    return args.times
"""


def installed(monkeypatch: pytest.MonkeyPatch, *plugins: EntryPoint) -> None:
    """Make `plugins` the only entry points of the command group."""

    def entry_points(*, group: str) -> list[EntryPoint]:
        assert group == cli.PLUGIN_GROUP
        return list(plugins)

    monkeypatch.setattr(cli, "entry_points", entry_points)


@pytest.mark.parametrize("argv", [["bench"], ["bench", "--help"], ["bench", "compare", "-n", "5"]])
def test_the_bench_without_its_package_is_one_line_naming_it(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    installed(monkeypatch)
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert "liveqa bench is not installed" in err
    assert "liveqa-bench" in err
    assert "pip install -e ./bench" in err


def test_a_command_from_an_entry_point_is_offered_and_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "counter_command.py").write_text(COUNTER)
    monkeypatch.syspath_prepend(str(tmp_path))
    installed(monkeypatch, EntryPoint("count", "counter_command", cli.PLUGIN_GROUP))
    assert cli.main(["count", "--times", "3"]) == 3
    with pytest.raises(SystemExit) as exited:
        cli.main(["--help"])
    assert exited.value.code == 0
    assert "count" in capsys.readouterr().out


def test_an_entry_point_cannot_replace_a_builtin_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "counter_command.py").write_text(COUNTER)
    monkeypatch.syspath_prepend(str(tmp_path))
    installed(monkeypatch, EntryPoint("db", "counter_command", cli.PLUGIN_GROUP))
    with pytest.raises(SystemExit) as exited:
        cli.main(["db", "--times", "3"])
    assert exited.value.code == 2
