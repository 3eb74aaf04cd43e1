"""Options: LIVEQA_<NAME> environment variables, value types, help text, one-line errors."""

from __future__ import annotations

import argparse
import dataclasses

import pytest

from liveqa.options import (
    Parser,
    add_option,
    at_least,
    boolean,
    default_of,
    env_name,
    host_port,
    public_url,
    tcp_port,
    whole_number,
)


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


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1", True), (" Yes ", True), ("on", True), ("0", False), ("OFF", False), ("", False)],
)
def test_boolean_takes_the_usual_words(text: str, expected: bool) -> None:
    assert boolean(text) is expected


@pytest.mark.parametrize("text", ["ture", "2", "enabled"])
def test_boolean_refuses_anything_else(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="expected true or false"):
        boolean(text)


def test_ports_and_addresses() -> None:
    assert [tcp_port(text) for text in ("0", "80", "65535")] == [0, 80, 65535]
    for text in ("65536", "-1", "http", ""):
        with pytest.raises(argparse.ArgumentTypeError, match="from 0 to 65535"):
            tcp_port(text)
    assert host_port("[::1]:8000") == ("::1", 8000)
    assert host_port(":8000") == ("0.0.0.0", 8000)
    with pytest.raises(argparse.ArgumentTypeError, match="HOST:PORT"):
        host_port("127.0.0.1:99999")


def test_at_least_names_its_bound() -> None:
    assert at_least(20)("20") == 20
    with pytest.raises(argparse.ArgumentTypeError, match="20 or more, got '19'"):
        at_least(20)("19")


def test_defaults_are_read_from_the_config_dataclass() -> None:
    @dataclasses.dataclass
    class Config:
        needed: int
        port: int = 7999
        paths: list[str] = dataclasses.field(default_factory=lambda: ["/a"])

    assert default_of(Config, "port") == 7999
    assert default_of(Config, "paths") == ["/a"]
    with pytest.raises(LookupError, match="no default"):
        default_of(Config, "needed")
    with pytest.raises(LookupError, match="no field"):
        default_of(Config, "other")


def test_help_ends_with_the_default_and_the_variable() -> None:
    parser = parser_with(
        listen={"type": host_port, "default": ("::1", 80), "help": "where"},
        verbose={"action": "store_true", "help": "more"},
    )
    text = " ".join(parser.format_help().split())
    assert "where [default [::1]:80; env LIVEQA_LISTEN]" in text
    assert "more [env LIVEQA_VERBOSE]" in text


def test_the_parser_says_a_usage_error_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    parser = Parser(prog="liveqa test")
    add_option(parser, "--port", type=tcp_port, default=1)
    with pytest.raises(SystemExit) as exit_info:
        parser.parse_args(["--port", "99999"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == (
        "liveqa test: error: argument --port: expected a port from 0 to 65535, got '99999'\n"
    )
