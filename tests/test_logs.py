"""One logging set-up for every command: text or JSON lines, Connection-Id, the access log."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from liveqa import logs

log = logging.getLogger("liveqa.test")


def records(capsys: pytest.CaptureFixture[str]) -> list[dict[str, str]]:
    """The JSON lines written to stderr so far."""
    return [json.loads(line) for line in capsys.readouterr().err.splitlines()]


def test_json_lines_carry_time_level_logger_and_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logs.setup("info", "json")
    log.debug("hidden")
    log.warning("disk %s", "full")
    (line,) = records(capsys)
    assert line["message"] == "disk full"
    assert (line["level"], line["logger"]) == ("warning", "liveqa.test")
    assert line["time"].endswith("+00:00")
    assert "connection_id" not in line


def test_an_exception_stays_inside_its_json_line(capsys: pytest.CaptureFixture[str]) -> None:
    logs.setup("info", "json")
    try:
        raise ValueError("bad\nvalue")
    except ValueError:
        log.exception("failed")
    (line,) = records(capsys)
    assert "ValueError: bad\nvalue" in line["exception"]


async def test_lines_of_a_task_serving_a_connection_carry_its_id(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logs.setup("info", "json")

    async def serve(connection_id: str) -> None:
        logs.CONNECTION_ID.set(connection_id)
        await asyncio.sleep(0)
        log.warning("about %s", connection_id)

    await asyncio.gather(serve("c1"), serve("c2"))
    log.warning("about no connection")
    log.warning("given", extra={"connection_id": "c3"})
    lines = records(capsys)
    assert [(line["message"], line.get("connection_id")) for line in lines] == [
        ("about c1", "c1"),
        ("about c2", "c2"),
        ("about no connection", None),
        ("given", "c3"),
    ]


async def test_text_lines_name_the_connection_at_the_end_of_the_first_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logs.setup("info", "text")

    async def serve() -> None:
        logs.CONNECTION_ID.set("c9")
        log.warning("origin answered %d", 500)

    await asyncio.create_task(serve())
    (line,) = capsys.readouterr().err.splitlines()
    assert line.endswith(" WARNING liveqa.test: origin answered 500 [connection c9]")


@pytest.mark.parametrize("on", [False, True])
def test_the_access_log_switch_holds_whatever_the_level(
    on: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    logs.setup("error", "text", access_log=on)
    logs.ACCESS.info("GET / 200")
    log.warning("below the level")
    assert ("GET / 200" in capsys.readouterr().err) is on


def test_setting_up_twice_keeps_one_handler(capsys: pytest.CaptureFixture[str]) -> None:
    logs.setup("info", "text")
    logs.setup("info", "json")
    log.warning("once")
    assert len(records(capsys)) == 1
