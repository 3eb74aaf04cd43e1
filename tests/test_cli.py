"""The `liveqa` command line: version, help, bad configuration as one line and exit 2, and
commands other distributions add."""

from __future__ import annotations

import importlib
import subprocess
import sys
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from liveqa import __version__, cli
from liveqa.options import Parser, env_name
from liveqa.origin import command as origin_command

SERVERS = ("serve", "edge", "origin")
# Every variable the commands read, so that the machine's environment cannot change a result.
ENVIRONMENT = ("LIVEQA_ORIGIN", "LIVEQA_BEHIND_TLS", "LIVEQA_LOG_LEVEL", "LIVEQA_PORT")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def _never_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """A configuration these tests let through returns 0 at once instead of serving."""
    for command in SERVERS:
        module = importlib.import_module(cli.COMMANDS[command][0])
        monkeypatch.setattr(module, "run", lambda args: 0)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"liveqa {__version__}\n"


@pytest.mark.parametrize("command", list(cli.COMMANDS))
def test_every_subcommand_has_a_description(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        cli.main([command, "--help"])
    help_text = cli.COMMANDS[command][1]
    description = capsys.readouterr().out.split("\n\n")[1]
    assert " ".join(description.split()) == f"{help_text[0].upper()}{help_text[1:]}."


@pytest.mark.parametrize("command", SERVERS)
def test_help_shows_every_default_and_variable(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        cli.main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    options = text.partition("options:")[2]
    flags = {word.rstrip(",") for word in options.split() if word.startswith("--")}
    flags -= {"--help"}
    assert {"--log-level", "--log-format", "--access-log"} <= flags
    for flag in flags:
        assert f"env {env_name(flag)}]" in text, flag
    level = "warning" if command == "serve" else "info"
    assert (
        f"--log-level LEVEL debug / info / warning / error [default {level}; env LIVEQA_LOG_LEVEL]"
        in text
    )
    assert "[default 15.0; env LIVEQA_IDLE_TIMEOUT]" in text


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["serve", "--port", "99999"], "--port: expected a port from 0 to 65535, got '99999'"),
        (["origin", "--listen", "127.0.0.1:99999"], "expected HOST:PORT with a port from 0"),
        (["edge", "--origin", "http://o", "--listen", "127.0.0.1:99999"], "expected HOST:PORT"),
        (["edge", "--origin", "http://o", "--publish-listen", "nowhere"], "expected HOST:PORT"),
        (["serve", "--log-level", "loud"], "expected debug, info, warning, error, got 'loud'"),
        (["origin", "--log-level", "loud"], "expected debug, info, warning, error, got 'loud'"),
        (["edge", "--origin", "http://o", "--log-format", "xml"], "expected text or json"),
        (
            ["edge", "--origin", "http://o", "--client-buffer-limit", "-1"],
            "--client-buffer-limit: expected a whole number, 1 or more, got '-1'",
        ),
        (["edge", "--origin", "http://o", "--max-message-size", "0"], "1 or more, got '0'"),
        (["origin", "--keep-alive", "-5"], "expected a whole number, 1 or more, got '-5'"),
        (["origin", "--publish-wait", "nan"], "expected seconds, more than 0, got 'nan'"),
        (["origin", "--limit-question", "-1"], "expected a whole number, 0 or more"),
        (["edge"], "the following arguments are required: --origin"),
        (["origin", "--web-root", "/nowhere/web"], "expected an existing directory"),
        (["origin", "--database-url", "mysql://x/y"], "unsupported database URL scheme"),
        (["db", "upgrade", "--database-url", "sqlite://"], "SQLite needs a file path"),
    ],
)
def test_a_bad_option_is_one_line_and_exit_2(
    argv: list[str], problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith(f"liveqa {argv[0]}: error: ")
    assert problem in line


@pytest.mark.parametrize(
    ("command", "variable", "value", "problem"),
    [
        ("serve", "LIVEQA_BEHIND_TLS", "ture", "expected true or false"),
        ("serve", "LIVEQA_PORT", "http", "expected a port from 0 to 65535"),
        ("serve", "LIVEQA_LOG_LEVEL", "loud", "expected debug, info"),
        ("origin", "LIVEQA_COOKIE_SECURE", "maybe", "expected true or false"),
        ("edge", "LIVEQA_TRUST_FORWARDED_FOR", "2", "expected true or false"),
    ],
)
def test_a_bad_environment_value_is_one_line_naming_the_variable(
    command: str,
    variable: str,
    value: str,
    problem: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SystemExit) as exit_info:
        cli.main([command])
    assert exit_info.value.code == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"liveqa {command}: error: {variable}={value!r}: {problem}")


@pytest.mark.parametrize(("value", "expected"), [("TRUE", True), ("off", False), ("", False)])
def test_an_environment_switch_takes_the_usual_words(
    value: str, expected: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIVEQA_COOKIE_SECURE", value)
    parser = Parser()
    origin_command.configure(parser)
    assert parser.parse_args([]).cookie_secure is expected


def test_the_real_process_says_one_line_without_a_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "liveqa", "serve", "--port", "99999"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "liveqa serve: error: argument --port: expected a port from 0 to 65535, got '99999'"
    ]


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
