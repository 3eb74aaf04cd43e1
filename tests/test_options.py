"""Options that fall back to LIVEQA_<NAME> environment variables."""

from __future__ import annotations

import argparse

import pytest

from liveqa.options import add_option, env_name, public_url, whole_number


def parser_with(**options: dict[str, object]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="test")
    for flag, kwargs in options.items():
        add_option(parser, "--" + flag.replace("_", "-"), **kwargs)
    return parser


def test_env_name() -> None:
    assert env_name("--publish-key") == "LIVEQA_PUBLISH_KEY"


def test_environment_gives_typed_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVEQA_PORT", "8080")
    monkeypatch.setenv("LIVEQA_VERBOSE", "yes")
    parser = parser_with(port={"type": int, "default": 1}, verbose={"action": "store_true"})
    args = parser.parse_args([])
    assert args.port == 8080
    assert args.verbose is True
    assert parser.parse_args(["--port", "9"]).port == 9


def test_append_options_split_the_environment_and_the_command_line_replaces_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIVEQA_ORIGIN", "http://a, http://b")
    parser = parser_with(origin={"action": "append", "required": True})
    assert parser.parse_args([]).origin == ["http://a", "http://b"]
    args = parser.parse_args(["--origin", "http://c", "--origin", "http://d"])
    assert args.origin == ["http://c", "http://d"]


def test_append_without_environment_collects_the_command_line() -> None:
    parser = parser_with(origin={"action": "append"})
    assert parser.parse_args(["--origin", "x", "--origin", "y"]).origin == ["x", "y"]
    assert parser.parse_args([]).origin is None


def test_a_malformed_environment_value_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LIVEQA_PORT", "big")
    with pytest.raises(SystemExit) as exit_info:
        parser_with(port={"type": int})
    assert exit_info.value.code == 2
    assert "LIVEQA_PORT='big'" in capsys.readouterr().err


def test_whole_number() -> None:
    assert [whole_number(text) for text in ("0", "7", " 12 ")] == [0, 7, 12]
    for text in ("-1", "1.5", "ten", ""):
        with pytest.raises(argparse.ArgumentTypeError, match="a whole number, 0 or more"):
            whole_number(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://qa.example.org", "https://qa.example.org"),
        (" https://QA.Example.org:8443/ ", "https://qa.example.org:8443"),
        ("http://192.168.1.5:7999", "http://192.168.1.5:7999"),
        ("http://[fd00::2]:7999", "http://[fd00::2]:7999"),
    ],
)
def test_public_url_keeps_scheme_host_and_port(text: str, expected: str) -> None:
    assert public_url(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("qa.example.org", "expected http:// or https://"),
        ("ftp://qa.example.org", "expected http:// or https://"),
        ("https://", "expected http:// or https://"),
        ("https://user@qa.example.org", "expected http:// or https://"),
        ("https://qa.example.org/qa", "served at the root"),
        ("https://qa.example.org/?room=1", "served at the root"),
        ("https://qa.example.org:99999", "is not a URL"),
    ],
)
def test_public_url_refuses_what_is_not_a_base(text: str, problem: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=problem):
        public_url(text)
