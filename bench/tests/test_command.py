"""Tests for the `liveqa bench` command line."""

from __future__ import annotations

import argparse
import importlib.util
import json
import socket
from pathlib import Path

import pytest

from liveqa.cli import main
from liveqa_bench import command, ui
from liveqa_bench.ports import free_port
from liveqa_bench.result import Result, Value
from liveqa_bench.rig import Load


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    command.configure(parser)
    return parser.parse_args(argv)


def test_fanout_options_become_a_load() -> None:
    args = parse("fanout", "-n", "20", "--rate", "2", "--duration", "3", "--proxy-pid", "7")
    assert command.load_from(args) == Load(connections=20, rate=2.0, duration=3.0)
    assert args.proxy_pid == ["7"]
    assert args.proxy_url == ["ws://127.0.0.1:7999"]
    more = parse("fanout", "--proxy-url", "ws://127.0.0.1:1", "--proxy-url", "ws://127.0.0.1:2")
    assert more.proxy_url == ["ws://127.0.0.1:1", "ws://127.0.0.1:2"]


def test_fanout_chooses_how_clients_read() -> None:
    args = parse("fanout", "--receive", "loop", "--client-loop", "asyncio")
    assert command.load_from(args).receive == "loop"
    assert args.client_loop == "asyncio"
    assert command.load_from(parse("fanout")).receive == "epoll"
    with pytest.raises(SystemExit):
        parse("fanout", "--receive", "poll")


def test_a_missing_uvloop_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert main(["bench", "connect", "--client-loop", "uvloop"]) == 1
    assert "uvloop is not installed" in capsys.readouterr().err


def test_app_and_cluster_options() -> None:
    app = parse("app", "--vote-share", "0.25", "--writers", "7")
    assert (app.rate, app.duration, app.writers, app.vote_share) == (50.0, 10.0, 7, 0.25)
    assert app.database_url is None
    cluster = parse("cluster", "--layouts", "1,3")
    assert (cluster.layouts, cluster.rate, cluster.bus) == ([1, 3], 1.0, "redis://127.0.0.1:6379/0")
    assert parse("cluster").layouts == [1, 2]
    for bad in (
        ("app", "--vote-share", "2"),
        ("cluster", "--layouts", "0"),
        ("cluster", "--layouts", "x"),
    ):
        with pytest.raises(SystemExit):
            parse(*bad)


def test_options_read_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVEQA_PER_CLIENT", "9")
    monkeypatch.setenv("LIVEQA_ACK", "yes")
    load = command.load_from(parse("fanin"))
    assert (load.per_client, load.ack) == (9, True)


def test_compare_has_every_scenario_option() -> None:
    args = parse("compare", "--burst", "7", "--per-client", "3", "--chart", "x.png")
    load = command.load_from(args)
    assert (load.burst, load.per_client) == (7, 3)
    assert args.targets == "pushpin,liveqa"
    assert args.scenarios == "fanout,fanout-rate,fanin,connect"


@pytest.mark.parametrize("argv", [("connect", "-n", "0"), ("fanout", "--rate", "-1"), ("nope",)])
def test_bad_values_are_refused(argv: tuple[str, ...]) -> None:
    with pytest.raises(SystemExit):
        parse(*argv)


def test_an_unreachable_proxy_fails_the_run(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["bench", "connect", "-n", "3", "--workers", "1"]
    argv += ["--proxy-url", f"ws://127.0.0.1:{free_port()}"]
    argv += ["--origin-listen", f"127.0.0.1:{free_port()}"]
    assert main(argv) == 1
    assert "note: failed handshakes: ECONNREFUSED x3" in capsys.readouterr().out


def test_a_busy_origin_port_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        assert main(["bench", "fanin", "--origin-listen", f"127.0.0.1:{port}"]) == 1
    assert capsys.readouterr().err == f"liveqa bench fanin: 127.0.0.1:{port} is already in use\n"


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--proxy-url", "ws://192.0.2.1:7999"),
        ("--proxy-url", "http://127.0.0.1:7999"),
        ("--publish-url", "http://example.com/publish/"),
        ("--origin-listen", "0.0.0.0:9000"),
    ],
)
def test_load_never_leaves_this_machine(
    capsys: pytest.CaptureFixture[str], option: str, value: str
) -> None:
    assert main(["bench", "connect", "-n", "1", option, value]) == 1
    assert "loopback" in capsys.readouterr().err


def test_ui_options() -> None:
    args = parse("ui")
    assert (args.questions, args.vote_rate, args.duration, args.scroll_speed) == (
        500,
        5.0,
        10.0,
        3000.0,
    )
    assert (args.viewports, args.chromium, args.timeout) == (
        ["phone", "desktop"],
        "/usr/bin/chromium",
        60.0,
    )
    assert parse("ui", "--viewports", "desktop", "--questions", "2000").viewports == ["desktop"]
    for bad in (
        ("ui", "--questions", "2001"),
        ("ui", "--questions", "0"),
        ("ui", "--viewports", "phone,tablet"),
        ("ui", "--vote-rate", "0"),
        ("ui", "-n", "5"),
    ):
        with pytest.raises(SystemExit):
            parse(*bad)


def test_ui_without_chromium_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bench", "ui", "--chromium", str(tmp_path / "chromium")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"liveqa bench ui: no Chromium at {tmp_path / 'chromium'}")


def _ui_result(frames_over_50ms: int) -> Result:
    figures: dict[str, Value] = {t.figure: t.limit for t in ui.THRESHOLDS}
    figures["scroll_frames_over_50ms"] = frames_over_50ms
    return Result("ui", "Chromium", {"viewport": "phone"}, figures, ui.verdict(figures))


@pytest.mark.parametrize(("over", "status"), [(0, 0), (2, 1)])
def test_ui_exits_1_unless_every_threshold_is_met(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], over: int, status: int
) -> None:
    async def measured(load: ui.UiLoad) -> list[Result]:
        assert load.viewports == ("phone", "desktop")
        return [_ui_result(0), _ui_result(over)]

    monkeypatch.setattr(ui, "run_ui", measured)
    assert main(["bench", "ui", "--json"]) == status
    out, err = capsys.readouterr()
    assert [result["figures"]["scroll_frames_over_50ms"] for result in json.loads(out)] == [0, over]
    assert ("verdict: not smooth" in err) == bool(over)
